//! The seeded, stratified train/validation split.

use std::collections::HashSet;

use aprende::data::stratified_split;

fn labels() -> Vec<usize> {
    // 3 classes of 100, 50 and 10 examples, interleaved.
    let mut l = Vec::new();
    for i in 0..160 {
        l.push(match i % 16 {
            0..=9 => 0,
            10..=14 => 1,
            _ => 2,
        });
    }
    l
}

#[test]
fn sizes_follow_the_fraction_per_class() {
    let labels = labels();
    let split = stratified_split(&labels, 0.2, 7).unwrap();
    assert_eq!(split.train.len() + split.valid.len(), labels.len());
    let count = |idx: &[usize], c: usize| idx.iter().filter(|&&i| labels[i] == c).count();
    assert_eq!(count(&split.valid, 0), 20);
    assert_eq!(count(&split.valid, 1), 10);
    assert_eq!(count(&split.valid, 2), 2);
    assert_eq!(count(&split.train, 2), 8);
}

#[test]
fn parts_do_not_overlap_and_cover_everything() {
    let labels = labels();
    let split = stratified_split(&labels, 0.15, 1).unwrap();
    let train: HashSet<_> = split.train.iter().collect();
    let valid: HashSet<_> = split.valid.iter().collect();
    assert!(train.is_disjoint(&valid));
    assert_eq!(train.len() + valid.len(), labels.len());
}

#[test]
fn the_same_seed_gives_the_same_split_and_another_seed_another() {
    let labels = labels();
    let a = stratified_split(&labels, 0.25, 42).unwrap();
    let b = stratified_split(&labels, 0.25, 42).unwrap();
    let c = stratified_split(&labels, 0.25, 43).unwrap();
    assert_eq!(a, b);
    assert_ne!(a.valid, c.valid);
}

#[test]
fn every_class_keeps_a_training_example() {
    let labels = vec![0, 0, 0, 1];
    let split = stratified_split(&labels, 0.9, 3).unwrap();
    assert!(split.train.contains(&3));
}

#[test]
fn bad_fractions_are_errors() {
    assert!(stratified_split(&[0, 1], 1.0, 0).is_err());
    assert!(stratified_split(&[0, 1], -0.1, 0).is_err());
    assert!(stratified_split(&[0, 1], f64::NAN, 0).is_err());
}
