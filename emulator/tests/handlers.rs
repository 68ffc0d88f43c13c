//! Every operation of the spec has a handler in the emulator, and the emulator serves
//! nothing the spec does not have: the table is keyed by the spec's operation ids.

use std::collections::BTreeSet;

use huaweicloud_osm::rules::OPERATIONS;

#[test]
fn every_operation_of_the_spec_has_a_handler() {
    let spec: BTreeSet<&str> = OPERATIONS.iter().map(|o| o.id).collect();
    let served: Vec<&str> = osm_emulator::served_operations();
    let unique: BTreeSet<&str> = served.iter().copied().collect();
    assert_eq!(
        unique.len(),
        served.len(),
        "an operation has two handlers: {served:?}"
    );
    let missing: Vec<&&str> = spec.difference(&unique).collect();
    let unknown: Vec<&&str> = unique.difference(&spec).collect();
    assert!(
        missing.is_empty(),
        "operations without a handler: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "handlers of operations the spec does not have: {unknown:?}"
    );
}
