//! user.* and group.* fields in filters against sysdig 0.29.3.
mod common;

#[test]
fn user_fields_match_sysdig() {
    common::run_filter_cases(&[
        ("libs/sample.scap", "user.name=root"),
        ("libs/sample.scap", "user.uid=0"),
        ("libs/sample.scap", "group.gid=0"),
        ("libs/sample.scap", "user.loginuid=1000"),
        ("sysflow/setuid_setuid.scap", "user.uid!=0"),
        ("sysflow/setuid_setuid.scap", "user.name exists"),
        (
            "bencer-examples/example4_example4-1.scap",
            "user.name=ubuntu",
        ),
    ]);
}
