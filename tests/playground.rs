//! The TensorFlow Playground's four two-class problems: their geometry, their noise, their
//! seeds, and loading them by name into a stratified train/test split.

use std::str::FromStr;

use aprende::data::playground::{Problem, generate};
use aprende::data::{DataDir, DatasetSpec, ImageSet, LoadOptions, Values};

/// The examples of `set` as `(x1, x2, label)`.
fn points(set: &ImageSet) -> Vec<(f32, f32, usize)> {
    let Values::F32(values) = &set.values else {
        panic!("Playground features are f32");
    };
    values
        .chunks_exact(2)
        .zip(&set.labels)
        .map(|(xy, &label)| (xy[0], xy[1], label))
        .collect()
}

fn count(set: &ImageSet, class: usize) -> usize {
    set.labels.iter().filter(|&&l| l == class).count()
}

#[test]
fn every_problem_gives_two_feature_examples_of_two_balanced_classes() {
    for problem in Problem::ALL {
        let set = generate(problem, 500, 0.0, 1).unwrap();
        assert_eq!(set.len(), 500, "{problem}");
        assert_eq!(
            (set.channels, set.height, set.width),
            (2, 1, 1),
            "{problem}"
        );
        assert_eq!(set.class_names, vec!["orange", "blue"]);
        assert!(set.targets.is_none());
        let Values::F32(values) = &set.values else {
            panic!("{problem}: features are not f32");
        };
        assert_eq!(values.len(), 1000);
        assert!(values.iter().all(|v| v.is_finite() && v.abs() < 6.5));
        let (orange, blue) = (count(&set, 0), count(&set, 1));
        assert_eq!(orange + blue, 500, "{problem}");
        assert!(
            (200..=300).contains(&blue),
            "{problem}: {blue} blue, {orange} orange"
        );
        // Shuffled: the classes alternate often, not in two blocks.
        let changes = set.labels.windows(2).filter(|w| w[0] != w[1]).count();
        assert!(
            changes > 150,
            "{problem}: the labels change {changes} times"
        );
    }
}

#[test]
fn an_odd_count_is_kept() {
    for problem in Problem::ALL {
        assert_eq!(generate(problem, 7, 0.1, 3).unwrap().len(), 7, "{problem}");
    }
}

#[test]
fn circle_is_a_blue_disc_in_an_orange_ring() {
    let set = generate(Problem::Circle, 500, 0.0, 2).unwrap();
    assert_eq!((count(&set, 0), count(&set, 1)), (250, 250));
    for (x, y, label) in points(&set) {
        let r = (x * x + y * y).sqrt();
        if label == 1 {
            assert!(r <= 2.5, "blue point at radius {r}");
        } else {
            assert!(
                (3.5 - 1e-4..=5.0 + 1e-4).contains(&r),
                "orange point at radius {r}"
            );
        }
    }
    // With noise, points near the border take the other class.
    let noisy = generate(Problem::Circle, 500, 0.5, 2).unwrap();
    let flipped = points(&noisy)
        .into_iter()
        .filter(|&(x, y, label)| ((x * x + y * y).sqrt() <= 2.5) != (label == 1))
        .count();
    assert!(flipped > 10, "{flipped} flipped labels at noise 0.5");
}

#[test]
fn xor_is_blue_where_the_coordinates_have_the_same_sign() {
    let set = generate(Problem::Xor, 500, 0.0, 3).unwrap();
    for (x, y, label) in points(&set) {
        assert_eq!(label == 1, x * y >= 0.0, "({x}, {y}) is {label}");
        // Pushed 0.3 away from the axes.
        assert!(x.abs() >= 0.3 - 1e-6 && y.abs() >= 0.3 - 1e-6, "({x}, {y})");
        assert!(x.abs() <= 5.3 + 1e-4 && y.abs() <= 5.3 + 1e-4, "({x}, {y})");
    }
    let noisy = generate(Problem::Xor, 500, 0.5, 3).unwrap();
    let flipped = points(&noisy)
        .into_iter()
        .filter(|&(x, y, label)| (x * y >= 0.0) != (label == 1))
        .count();
    assert!(flipped > 10, "{flipped} flipped labels at noise 0.5");
}

/// Mean and variance of the x coordinates of the points of `class`.
fn x_stats(set: &ImageSet, class: usize) -> (f64, f64) {
    let xs: Vec<f64> = points(set)
        .into_iter()
        .filter(|p| p.2 == class)
        .map(|p| f64::from(p.0))
        .collect();
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean, var)
}

#[test]
fn gauss_is_two_clouds_that_widen_with_noise() {
    let set = generate(Problem::Gauss, 500, 0.0, 4).unwrap();
    assert_eq!((count(&set, 0), count(&set, 1)), (250, 250));
    let pts = points(&set);
    let in_quadrant = |class: usize, sign: f32| {
        pts.iter()
            .filter(|p| p.2 == class && p.0 * sign > 0.0 && p.1 * sign > 0.0)
            .count()
    };
    assert!(in_quadrant(1, 1.0) >= 240, "{} blue", in_quadrant(1, 1.0));
    assert!(
        in_quadrant(0, -1.0) >= 240,
        "{} orange",
        in_quadrant(0, -1.0)
    );
    let (mean, var) = x_stats(&set, 1);
    assert!(
        (mean - 2.0).abs() < 0.2 && (0.35..0.65).contains(&var),
        "{mean} {var}"
    );
    let (mean, _) = x_stats(&set, 0);
    assert!((mean + 2.0).abs() < 0.2, "{mean}");
    // Variance 4 at the largest noise.
    let wide = generate(Problem::Gauss, 500, 0.5, 4).unwrap();
    let (_, var) = x_stats(&wide, 1);
    assert!((2.8..5.2).contains(&var), "variance {var} at noise 0.5");
}

#[test]
fn spiral_is_two_arms_of_radius_five() {
    let set = generate(Problem::Spiral, 500, 0.0, 5).unwrap();
    assert_eq!((count(&set, 0), count(&set, 1)), (250, 250));
    let pts = points(&set);
    for &(x, y, _) in &pts {
        let r = (x * x + y * y).sqrt();
        assert!((0.0..=5.0 + 1e-4).contains(&r), "radius {r}");
    }
    // The two arms are point reflections of each other: for every blue point there is an
    // orange one at (-x, -y).
    for &(x, y, _) in pts.iter().filter(|p| p.2 == 1) {
        assert!(
            pts.iter()
                .any(|p| p.2 == 0 && (p.0 + x).abs() < 1e-4 && (p.1 + y).abs() < 1e-4),
            "no orange point opposite ({x}, {y})"
        );
    }
    // Noise moves the points by at most `noise` on each axis.
    let noisy = generate(Problem::Spiral, 500, 0.5, 5).unwrap();
    let moved = points(&noisy)
        .iter()
        .filter(|p| pts.iter().all(|q| (p.0 - q.0).abs() > 1e-6))
        .count();
    assert!(moved > 400, "{moved} of 500 points moved");
}

#[test]
fn a_seed_gives_the_same_points_and_another_seed_others() {
    for problem in Problem::ALL {
        let a = generate(problem, 300, 0.2, 9).unwrap();
        assert_eq!(a, generate(problem, 300, 0.2, 9).unwrap(), "{problem}");
        assert_ne!(a, generate(problem, 300, 0.2, 10).unwrap(), "{problem}");
    }
}

/// FNV-1a over the bits of every value and label.
fn fingerprint(set: &ImageSet) -> u64 {
    let Values::F32(values) = &set.values else {
        panic!("f32 features");
    };
    let bytes = values
        .iter()
        .flat_map(|v| v.to_bits().to_le_bytes())
        .chain(set.labels.iter().flat_map(|&l| (l as u32).to_le_bytes()));
    bytes.fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[test]
fn the_points_are_the_same_on_every_platform() {
    // Pinned: the generator, its seeding and the trigonometry are portable, so these do not
    // depend on the machine (a change here changes every Playground run's data).
    let pinned = [
        (Problem::Circle, 0xa40b_08c1_ae30_f9f2_u64),
        (Problem::Xor, 0x25c1_6eb4_85a3_8ad3),
        (Problem::Gauss, 0xe7d3_3946_d73c_1b2a),
        (Problem::Spiral, 0x350a_e2cd_a3a3_85e4),
    ];
    for (problem, expected) in pinned {
        let set = generate(problem, 200, 0.25, 42).unwrap();
        assert_eq!(
            fingerprint(&set),
            expected,
            "{problem}: {:#x}",
            fingerprint(&set)
        );
    }
}

#[test]
fn bad_noise_and_point_counts_name_the_flag() {
    for noise in [0.6, -0.1, f64::NAN, f64::INFINITY] {
        let msg = generate(Problem::Circle, 500, noise, 1)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("--noise"), "{msg}");
    }
    for points in [0, 2, 3, usize::MAX] {
        let msg = generate(Problem::Xor, points, 0.0, 1)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("--points"), "{msg}");
    }
    assert!(generate(Problem::Gauss, 4, 0.5, 1).is_ok());
}

#[test]
fn problems_are_named_like_the_playground() {
    for (problem, name) in Problem::ALL
        .into_iter()
        .zip(["circle", "xor", "gauss", "spiral"])
    {
        assert_eq!(problem.to_string(), name);
        assert_eq!(Problem::from_str(name).unwrap(), problem);
        let spec = DatasetSpec::from_str(name).unwrap();
        assert_eq!(spec, DatasetSpec::Playground(problem));
        assert_eq!(spec.to_string(), name);
        assert_eq!(spec.short_name(), name);
        assert!(spec.is_table() && !spec.is_folder());
    }
    let msg = DatasetSpec::from_str("moons").unwrap_err().to_string();
    assert!(msg.contains("circle, xor, gauss, spiral"), "{msg}");
}

#[test]
fn a_problem_loads_into_a_stratified_train_test_split() {
    let dir = tempfile::tempdir().unwrap();
    let options = LoadOptions::new(DataDir(dir.path().to_path_buf()));
    assert_eq!((options.points, options.noise), (500, 0.0));
    let spec = DatasetSpec::from_str("spiral").unwrap();
    let splits = spec.load(&options).unwrap();
    assert_eq!((splits.train.len(), splits.test.len()), (400, 100));
    assert_eq!(
        (count(&splits.train, 0), count(&splits.train, 1)),
        (200, 200)
    );
    assert_eq!((count(&splits.test, 0), count(&splits.test, 1)), (50, 50));
    assert_eq!(splits.train.channels, 2);
    assert_eq!(splits.test.class_names, vec!["orange", "blue"]);
    assert!(splits.skipped.is_empty());
    // The split holds every generated point once.
    let mut all: Vec<_> = points(&splits.train)
        .into_iter()
        .chain(points(&splits.test))
        .map(|(x, y, l)| (x.to_bits(), y.to_bits(), l))
        .collect();
    let mut generated: Vec<_> = points(&generate(Problem::Spiral, 500, 0.0, options.seed).unwrap())
        .into_iter()
        .map(|(x, y, l)| (x.to_bits(), y.to_bits(), l))
        .collect();
    all.sort_unstable();
    generated.sort_unstable();
    assert_eq!(all, generated);
    // Same options, same split.
    assert_eq!(spec.load(&options).unwrap().test, splits.test);

    // --points, --noise and --test-split reach the generator and the split.
    let splits = spec
        .load(&LoadOptions {
            points: 100,
            noise: 0.3,
            test_split: 0.5,
            ..options.clone()
        })
        .unwrap();
    assert_eq!((splits.train.len(), splits.test.len()), (50, 50));
    let msg = spec
        .load(&LoadOptions {
            noise: 0.7,
            ..options.clone()
        })
        .unwrap_err()
        .to_string();
    assert!(msg.contains("--noise"), "{msg}");
    let msg = spec
        .load(&LoadOptions {
            test_split: 0.0,
            ..options
        })
        .unwrap_err()
        .to_string();
    assert!(msg.contains("--test-split"), "{msg}");
}
