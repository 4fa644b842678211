//! Block ids and fixed sizes of the scap container (see
//! `shared/reference/scap-format.md` §2–§10).

/// pcapng Section Header Block.
pub const SHB: u32 = 0x0A0D_0D0A;
/// `byte_order_magic` of a little-endian section.
pub const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
/// The same magic as read from a byte-swapped (big-endian) section.
pub const BYTE_ORDER_MAGIC_SWAPPED: u32 = 0x4D3C_2B1A;

pub const MI: u32 = 0x201;
pub const PL_V1: u32 = 0x202;
pub const FDL: u32 = 0x203;
pub const EV: u32 = 0x204;
pub const IL: u32 = 0x205;
pub const UL: u32 = 0x206;
pub const PL_V2: u32 = 0x207;
pub const EVF: u32 = 0x208;
pub const PL_V3: u32 = 0x209;
pub const PL_V4: u32 = 0x210;
pub const PL_V5: u32 = 0x211;
pub const PL_V6: u32 = 0x212;
pub const PL_V7: u32 = 0x213;
pub const PL_V8: u32 = 0x214;
pub const PL_V9: u32 = 0x215;
pub const EV_V2: u32 = 0x216;
pub const EVF_V2: u32 = 0x217;
pub const FDL_V2: u32 = 0x218;
pub const IL_V2: u32 = 0x219;
pub const UL_V2: u32 = 0x220;
pub const EV_V2_LARGE: u32 = 0x221;
pub const EVF_V2_LARGE: u32 = 0x222;

// Pre-2014 "unofficial" ids.
pub const PL_V1_INT: u32 = 0x8000_ABCD;
pub const FDL_INT: u32 = 0x8001_ABCD;
pub const MI_INT: u32 = 0x8002_ABCD;
pub const EV_INT: u32 = 0x8010_ABCD;
pub const IL_INT: u32 = 0x8011_ABCD;
pub const UL_INT: u32 = 0x8012_ABCD;
pub const PL_V2_INT: u32 = 0x8013_ABCD;
pub const PL_V3_INT: u32 = 0x8014_ABCD;

/// Size of the generic block header (`block_type`, `block_total_length`).
pub const BLOCK_HDR: usize = 8;
/// Header plus trailer: the smallest possible block.
pub const MIN_BLOCK: usize = 12;
/// SHB body without options.
pub const SHB_BODY: usize = 16;
/// MI body (`sizeof(scap_machine_info)`).
pub const MI_BODY: usize = 180;
/// Largest body a non-LARGE event block may have for libscap
/// (`READER_BUF_SIZE`, counted from after the 8-byte header, trailer included).
pub const READER_BUF_SIZE: usize = 65536;
/// Sanity cap on any block we accept: a corrupt length cannot make us
/// buffer more than this (and we only grow the buffer as data arrives).
pub const MAX_BLOCK_LEN: usize = 256 << 20;

/// libscap string limits (`scap_limits.h`, `scap.h`).
pub const MAX_PATH: usize = 1024;
pub const MAX_ARGS: usize = 4096;
pub const MAX_CREDENTIALS_STR: usize = 256;

/// `scap_dump_flags`.
pub const DF_STATE_ONLY: u32 = 1;

/// Event ids whose v1 `len` is off by 3 in old captures.
pub const PPME_NOTIFICATION_E: u16 = 280;
pub const PPME_INFRASTRUCTURE_EVENT_E: u16 = 286;

/// What a block id is, for dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Shb,
    Mi,
    /// Process list, with its version 1..=9.
    Pl(u8),
    /// Fd list, version 1 or 2.
    Fdl(u8),
    /// Interface list, version 1 or 2.
    Il(u8),
    /// User list, version 1 or 2.
    Ul(u8),
    /// Event block.
    Ev(EvKind),
    /// A standard pcapng block that never appears in a scap file.
    Pcapng(&'static str),
    Unknown,
}

/// Layout of an event block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvKind {
    /// Header has `nparams` (26 bytes) rather than 22.
    pub v2: bool,
    /// A u32 dump-flags field follows the cpu id.
    pub flags: bool,
    /// May exceed 64 KiB.
    pub large: bool,
}

pub fn kind(bt: u32) -> Kind {
    let ev = |v2, flags, large| Kind::Ev(EvKind { v2, flags, large });
    match bt {
        SHB => Kind::Shb,
        MI | MI_INT => Kind::Mi,
        PL_V1 | PL_V1_INT => Kind::Pl(1),
        PL_V2 | PL_V2_INT => Kind::Pl(2),
        PL_V3 | PL_V3_INT => Kind::Pl(3),
        PL_V4 => Kind::Pl(4),
        PL_V5 => Kind::Pl(5),
        PL_V6 => Kind::Pl(6),
        PL_V7 => Kind::Pl(7),
        PL_V8 => Kind::Pl(8),
        PL_V9 => Kind::Pl(9),
        FDL | FDL_INT => Kind::Fdl(1),
        FDL_V2 => Kind::Fdl(2),
        IL | IL_INT => Kind::Il(1),
        IL_V2 => Kind::Il(2),
        UL | UL_INT => Kind::Ul(1),
        UL_V2 => Kind::Ul(2),
        EV | EV_INT => ev(false, false, false),
        EVF => ev(false, true, false),
        EV_V2 => ev(true, false, false),
        EVF_V2 => ev(true, true, false),
        EV_V2_LARGE => ev(true, false, true),
        EVF_V2_LARGE => ev(true, true, true),
        0x0000_0001 => Kind::Pcapng("interface description"),
        0x0000_0002 => Kind::Pcapng("packet"),
        0x0000_0003 => Kind::Pcapng("simple packet"),
        0x0000_0004 => Kind::Pcapng("name resolution"),
        0x0000_0005 => Kind::Pcapng("interface statistics"),
        0x0000_0006 => Kind::Pcapng("enhanced packet"),
        0x0000_000A => Kind::Pcapng("decryption secrets"),
        _ => Kind::Unknown,
    }
}

/// `block_total_length` for a body of `body_len` bytes.
pub fn block_len(body_len: usize) -> usize {
    (BLOCK_HDR + body_len + 4 + 3) & !3
}
