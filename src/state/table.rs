//! A map from u64 keys (tids, pids) with the map methods the state needs,
//! quicker than a hash map for the lookups events make.

use std::cell::Cell;

use rustc_hash::FxHashMap;

/// No slot in [`Table::last`].
const NO_SLOT: u32 = u32::MAX;

/// Values by u64 key.
///
/// Values live in slots found through a key → slot map, and the slot of
/// the last key looked up is remembered: the events of a thread mostly come
/// in runs (an enter, then its exit), so most lookups skip the hash.
#[derive(Debug, Clone)]
pub struct Table<V> {
    slots: Vec<Option<V>>,
    index: FxHashMap<u64, u32>,
    /// Empty slots.
    free: Vec<u32>,
    /// The last key looked up and its slot ([`NO_SLOT`]: none). Always
    /// right: a removal forgets it.
    last: Cell<(u64, u32)>,
}

impl<V> Default for Table<V> {
    fn default() -> Table<V> {
        Table {
            slots: Vec::new(),
            index: FxHashMap::default(),
            free: Vec::new(),
            last: Cell::new((0, NO_SLOT)),
        }
    }
}

/// A key of a [`Table`] and what [`Table::entry`] found for it.
pub struct Entry<'a, V> {
    table: &'a mut Table<V>,
    key: u64,
}

impl<'a, V> Entry<'a, V> {
    /// The value, added with `make` when missing.
    pub fn or_insert_with(self, make: impl FnOnce() -> V) -> &'a mut V {
        let s = match self.table.slot(self.key) {
            Some(s) => s,
            None => self.table.add(self.key, None),
        };
        self.table.slots[s].get_or_insert_with(make)
    }

    /// The value, added as `V::default()` when missing.
    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }
}

impl<V> Table<V> {
    /// The slot of `key`, remembered for the next lookup. The remembered
    /// slot is taken when it lies among the slots, which [`NO_SLOT`] never
    /// does (a table never holds 2^32 slots: they would not fit in
    /// memory): the test the slot's use makes anyway also tells that none
    /// is remembered.
    #[inline(always)]
    fn slot(&self, key: u64) -> Option<usize> {
        let (lkey, lslot) = self.last.get();
        if lkey == key && (lslot as usize) < self.slots.len() {
            return Some(lslot as usize);
        }
        self.hashed_slot(key)
    }

    /// [`Table::slot`] through the hash map, remembered.
    #[inline]
    fn hashed_slot(&self, key: u64) -> Option<usize> {
        let s = *self.index.get(&key)?;
        self.last.set((key, s));
        Some(s as usize)
    }

    /// Puts `v` in a free slot for `key` (not in the table; `None` only
    /// for a slot about to be filled).
    fn add(&mut self, key: u64, v: Option<V>) -> usize {
        let s = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = v;
                s
            }
            None => {
                // The slots would not fit in memory long before 2^32 - 1.
                let s = u32::try_from(self.slots.len()).unwrap_or(NO_SLOT - 1);
                self.slots.push(v);
                s
            }
        };
        self.index.insert(key, s);
        self.last.set((key, s));
        s as usize
    }

    #[inline(always)]
    pub fn get(&self, key: &u64) -> Option<&V> {
        let s = self.slot(*key)?;
        self.slots.get(s)?.as_ref()
    }

    #[inline]
    pub fn get_mut(&mut self, key: &u64) -> Option<&mut V> {
        let s = self.slot(*key)?;
        self.slots.get_mut(s)?.as_mut()
    }

    #[inline]
    pub fn contains_key(&self, key: &u64) -> bool {
        self.slot(*key).is_some()
    }

    /// Adds (or replaces) the value of `key`, handing back the one it
    /// replaced.
    pub fn insert(&mut self, key: u64, v: V) -> Option<V> {
        if let Some(s) = self.slot(key) {
            return self.slots.get_mut(s).and_then(|x| x.replace(v));
        }
        self.add(key, Some(v));
        None
    }

    /// The value of `key`, to be made when missing.
    #[inline]
    pub fn entry(&mut self, key: u64) -> Entry<'_, V> {
        Entry { table: self, key }
    }

    pub fn remove(&mut self, key: &u64) -> Option<V> {
        let s = self.index.remove(key)?;
        if self.last.get().0 == *key {
            self.last.set((0, NO_SLOT));
        }
        let old = self.slots.get_mut(s as usize)?.take();
        self.free.push(s);
        old
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn reserve(&mut self, n: usize) {
        self.index.reserve(n);
        self.slots.reserve(n.saturating_sub(self.free.len()));
    }

    /// The keys, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = &u64> {
        self.index.keys()
    }

    /// The values, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.slots.iter().flatten()
    }

    /// The values, in no particular order.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.slots.iter_mut().flatten()
    }

    /// (key, value) pairs, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&u64, &V)> {
        self.index
            .iter()
            .filter_map(|(k, s)| Some((k, self.slots.get(*s as usize)?.as_ref()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table against a plain map, with the remembered slot in play.
    #[test]
    fn table_matches_map() {
        let mut t: Table<u64> = Table::default();
        let mut m: std::collections::HashMap<u64, u64> = Default::default();
        for step in 0u64..600 {
            let key = (step * 7919) % 37;
            match step % 6 {
                0 | 1 => assert_eq!(t.insert(key, step), m.insert(key, step)),
                2 => assert_eq!(t.remove(&key), m.remove(&key)),
                3 => {
                    if let Some(x) = t.get_mut(&key) {
                        *x += 1000;
                    }
                    if let Some(x) = m.get_mut(&key) {
                        *x += 1000;
                    }
                }
                4 => {
                    *t.entry(key).or_default() += 1;
                    *m.entry(key).or_default() += 1;
                }
                _ => {}
            }
            // Looked up twice: the second time through the remembered slot.
            for _ in 0..2 {
                assert_eq!(t.get(&key), m.get(&key));
                assert_eq!(t.contains_key(&key), m.contains_key(&key));
            }
            assert_eq!(t.len(), m.len());
        }
        for key in 0..40 {
            assert_eq!(t.get(&key), m.get(&key));
        }
        let mut keys: Vec<u64> = t.keys().copied().collect();
        keys.sort_unstable();
        let mut want: Vec<u64> = m.keys().copied().collect();
        want.sort_unstable();
        assert_eq!(keys, want);
        assert_eq!(t.values().count(), m.len());
        assert!(t.iter().all(|(k, x)| m.get(k) == Some(x)));
    }
}
