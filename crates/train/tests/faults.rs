//! Faults met by the `train` binary as a process: killed at any moment, a panic in a worker
//! thread, a loss that diverges, a GPU API wgpu cannot drive, a full or read-only disk.
//!
//! These tests live beside the binary (not in the workspace's `tests/`) because cargo builds
//! a package's binary only for that package's own integration tests. `APRENDE_TRAIN_BIN`
//! runs them against another build (an older one, to see them fail).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};

fn train_bin() -> PathBuf {
    std::env::var_os("APRENDE_TRAIN_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_train")))
}

/// `train` with `args`, quiet progress, writing into `dir`.
fn train(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(train_bin());
    command
        .args(args)
        .args(["--progress", "lines"])
        .env_remove("APRENDE_FAULT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if !args.contains(&"--resume") {
        command.arg("--artifact-dir").arg(dir);
    }
    command
}

/// Runs `command` to its end, at most `limit`: a hang fails the test instead of stalling it.
fn run_within(mut command: Command, limit: Duration) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = command.spawn().expect("train starts");
    loop {
        if child.try_wait().expect("waits").is_some() {
            return (child.wait_with_output().expect("output"), started.elapsed());
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!(
                "still running after {limit:?} (a hang): {}\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The spiral with enough points that an epoch takes a few tenths of a second.
const SPIRAL: &[&str] = &[
    "--dataset",
    "spiral",
    "--points",
    "20000",
    "--hidden",
    "128,128",
    "--batch-size",
    "32",
    "--epochs",
    "6",
    "--patience",
    "0",
    "--seed",
    "7",
];

/// Every file a run leaves is whole: weights verify and load, JSON parses, and no report
/// holds a number that is not one.
fn assert_run_files_whole(dir: &Path) {
    let mut files = vec![];
    for folder in [dir.to_path_buf(), dir.join("checkpoint")] {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            if entry.path().is_file() {
                files.push(entry.path());
            }
        }
    }
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !name.ends_with(".partial") && !name.contains(".partial."),
            "a temporary file outlived its write: {}",
            path.display()
        );
        match path.extension().and_then(|e| e.to_str()) {
            Some("bpk") => {
                train::record::read_verified(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
            Some("json") => {
                let text = std::fs::read_to_string(&path).unwrap();
                let value: serde_json::Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_no_missing_numbers(&path, &value);
            }
            Some("md") | Some("csv") | Some("txt") => {
                let text = std::fs::read_to_string(&path).unwrap();
                for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
                    assert!(
                        !matches!(word, "NaN" | "nan" | "inf" | "Infinity"),
                        "{} holds `{word}`",
                        path.display()
                    );
                }
            }
            _ => {}
        }
    }
}

/// serde_json writes NaN and infinities as `null`: a report must have none where a number goes.
fn assert_no_missing_numbers(path: &Path, value: &serde_json::Value) {
    match value {
        serde_json::Value::Array(items) => items
            .iter()
            .for_each(|v| assert_no_missing_numbers(path, v)),
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                let numeric = [
                    "loss",
                    "val_loss",
                    "train_loss",
                    "seconds",
                    "accuracy",
                    "mse",
                    "mae",
                    "r2",
                ];
                assert!(
                    !(v.is_null() && numeric.contains(&key.as_str())),
                    "{}: `{key}` is null (a NaN or infinity was written)",
                    path.display()
                );
                assert_no_missing_numbers(path, v);
            }
        }
        _ => {}
    }
}

fn history_epochs(dir: &Path) -> Vec<usize> {
    let text = std::fs::read_to_string(dir.join("history.json")).unwrap();
    let history: Vec<train::EpochRecord> = serde_json::from_str(&text).unwrap();
    history.iter().map(|r| r.epoch).collect()
}

/// SIGKILL at seeded random moments, then `--resume`, until the run finishes: every epoch
/// is trained exactly once, the kept weights are the best epoch's, and no file is damaged.
/// Runs start afresh until at least 20 kills have landed.
#[test]
fn a_run_killed_at_any_moment_resumes_to_the_end() {
    let root = tempfile::tempdir().unwrap();
    // One uninterrupted run sets the span the kills are drawn from.
    let reference = root.path().join("reference");
    let (output, whole) = run_within(train(&reference, SPIRAL), Duration::from_secs(300));
    assert!(output.status.success(), "{}", text(&output));

    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    let (mut kills, mut resumes, mut fresh_starts, mut runs) = (0, 0, 0, 0);
    let started = Instant::now();
    while kills < 20 {
        runs += 1;
        let dir = root.path().join(format!("run-{runs}"));
        let mut killed_here = 0;
        loop {
            assert!(
                started.elapsed() < Duration::from_secs(600),
                "the runs did not finish in 10 minutes of kills and resumes"
            );
            // Until the run has written its config there is nothing to resume: a user starts
            // it again.
            let mut command = if dir.join("checkpoint/config.json").is_file() {
                resumes += 1;
                train(&dir, &["--resume", dir.to_str().unwrap()])
            } else {
                fresh_starts += 1;
                train(&dir, SPIRAL)
            };
            let mut child = command.spawn().unwrap();
            // At most five kills a run, so that each run also ends.
            if killed_here < 5 {
                let delay = rng.random_range(0.0..whole.as_secs_f64() * 1.1);
                let deadline = Instant::now() + Duration::from_secs_f64(delay);
                while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
                    std::thread::sleep(Duration::from_millis(5));
                }
                if child.try_wait().unwrap().is_none() {
                    child.kill().unwrap(); // SIGKILL
                    child.wait().unwrap();
                    kills += 1;
                    killed_here += 1;
                    eprintln!("run {runs}: killed after {delay:.2} s");
                    continue;
                }
            }
            let deadline = Instant::now() + Duration::from_secs(120);
            while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let hung = child.try_wait().unwrap().is_none();
            if hung {
                child.kill().unwrap();
            }
            let output = child.wait_with_output().unwrap();
            let said = text(&output);
            assert!(
                !hung,
                "a resume hung for 2 minutes after {kills} kills: {said}"
            );
            // A run killed after writing everything is finished: resuming it says so.
            assert!(
                output.status.success() || said.contains("already trained 6 of its 6 epochs"),
                "a resume failed after {kills} kills: {said}"
            );
            break;
        }
        assert_finished_run(&dir);
    }
    eprintln!(
        "{kills} kills, {resumes} resumes, {fresh_starts} fresh starts, {runs} runs in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// The run in `dir` trained epochs 1 to 6 once each, keeps the best one's weights in
/// `model.bpk`, and every file of it is whole.
fn assert_finished_run(dir: &Path) {
    assert_eq!(history_epochs(dir), (1..=6).collect::<Vec<_>>());
    let report: train::Report =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report.epochs_run, 6);
    assert_eq!(
        report.history.iter().map(|r| r.epoch).collect::<Vec<_>>(),
        (1..=6).collect::<Vec<_>>()
    );
    assert_run_files_whole(dir);

    // model.bpk holds the best epoch's weights: those of its checkpoint.
    let config = train::TrainingConfig::load_file(&dir.join("config.json")).unwrap();
    let device = burn::prelude::Device::flex();
    let kept = train::load_network(&config, &dir.join("model.bpk"), &device).unwrap();
    let best = train::run::load_checkpoint(&config, dir, report.best_epoch, &device).unwrap();
    let points = vec![vec![0.1, 0.2], vec![-0.5, 0.4], vec![0.9, -0.3]];
    let a = train::forward_examples(&kept, &config.input, None, &points, &device);
    let b = train::forward_examples(&best, &config.input, None, &points, &device);
    assert_eq!(a, b, "model.bpk is not epoch {}'s", report.best_epoch);
    let lowest = report
        .history
        .iter()
        .min_by(|x, y| x.val_loss.total_cmp(&y.val_loss))
        .unwrap();
    assert_eq!(report.best_epoch, lowest.epoch);
}

/// A run killed before its first epoch ended starts again from its saved config.
#[test]
fn a_run_killed_in_its_first_epoch_starts_again_on_resume() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    let mut child = train(&dir, SPIRAL).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !dir.join("checkpoint/config.json").is_file() {
        assert!(Instant::now() < deadline, "the run never wrote its config");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !dir.join("history.json").exists(),
        "an epoch finished too soon"
    );
    let (output, _) = run_within(
        train(&dir, &["--resume", dir.to_str().unwrap()]),
        Duration::from_secs(300),
    );
    let said = text(&output);
    assert!(output.status.success(), "{said}");
    assert!(
        said.contains("starting it again from its saved config"),
        "{said}"
    );
    assert_eq!(history_epochs(&dir), (1..=6).collect::<Vec<_>>());
}

/// A panic in a data-loader thread ends the process at once with one line that says what
/// failed and how to continue, instead of a hang.
#[test]
fn a_panic_in_a_loader_thread_ends_the_process() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    let mut command = train(&dir, SPIRAL);
    command
        .args(["--workers", "2"])
        .env("APRENDE_FAULT", "loader-panic");
    let (output, took) = run_within(command, Duration::from_secs(60));
    let said = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(101), "{said}");
    assert!(took < Duration::from_secs(30), "took {took:?}");
    let line = said
        .lines()
        .find(|l| l.starts_with("error: stopped by a panic"))
        .unwrap_or_else(|| panic!("no error line: {said}"));
    assert!(line.contains("dataloader"), "{line}");
    assert!(line.contains("a data loader failed"), "{line}");
    assert!(
        line.contains(&format!("train --resume {}", dir.display())),
        "{line}"
    );
}

/// `--ddp` on devices without NCCL is refused before anything loads, with what to do instead:
/// never a panic inside burn's collective setup.
#[test]
fn ddp_on_devices_without_cuda_is_a_clear_error() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    let mut command = train(&dir, SPIRAL);
    command.args(["--devices", "flex,flex", "--ddp"]);
    let (output, took) = run_within(command, Duration::from_secs(60));
    let said = text(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(said.contains("--ddp needs CUDA devices"), "{said}");
    assert!(said.contains("`--devices flex,flex` is flex"), "{said}");
    assert!(
        !said.contains("panicked") && !said.contains("Loading"),
        "{said}"
    );
    assert!(!dir.exists(), "nothing was written");

    // A device list that does not parse is a usage error naming the entry.
    let mut command = train(&dir, SPIRAL);
    command.args(["--devices", "flex,tpu"]);
    let (output, _) = run_within(command, Duration::from_secs(60));
    let said = text(&output);
    assert_eq!(output.status.code(), Some(2), "{said}");
    assert!(said.contains("unknown device `tpu`"), "{said}");
}

/// The binary trains on two devices end to end and its report names them.
#[test]
fn the_binary_trains_on_two_devices() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    let command = train(
        &dir,
        &[
            "--dataset",
            "spiral",
            "--points",
            "2000",
            "--epochs",
            "2",
            "--batch-size",
            "8",
            "--devices",
            "flex,flex",
        ],
    );
    let (output, _) = run_within(command, Duration::from_secs(120));
    let said = text(&output);
    assert_eq!(output.status.code(), Some(0), "{said}");
    assert!(
        said.contains("Training on 2 devices (flex, flex), multi-device"),
        "{said}"
    );
    assert!(said.contains("batch 8 per device (16 per step)"), "{said}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["devices"], serde_json::json!(["flex", "flex"]));
    assert_eq!(report["strategy"], "multi-device");
    assert_eq!(report["global_batch"], 16);
}

/// A table whose targets are in the hundreds of thousands, unscaled, trained with plain SGD:
/// the loss overflows to infinity in the first batches.
fn exploding_table(dir: &Path) -> PathBuf {
    let path = dir.join("houses.csv");
    let mut csv = String::from("size,rooms,price\n");
    for i in 0..400 {
        let size = 50.0 + (i * 37 % 250) as f64;
        let rooms = 1 + i % 6;
        csv += &format!(
            "{},{rooms},{}\n",
            size * 1000.0,
            size * 3000.0 + rooms as f64 * 1e4
        );
    }
    std::fs::write(&path, csv).unwrap();
    path
}

/// `train` on the exploding table with `extra` flags, to its end.
fn train_on_table(dir: &Path, table: &Path, extra: &[&str]) -> Output {
    let dataset = format!("csv:{}", table.display());
    let mut args = vec![
        "--dataset",
        &dataset,
        "--target",
        "price",
        "--task",
        "regression",
    ];
    args.extend_from_slice(extra);
    run_within(train(dir, &args), Duration::from_secs(120)).0
}

#[test]
fn an_infinite_loss_stops_the_run_and_keeps_nothing_when_no_epoch_finished() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    let table = exploding_table(root.path());
    let output = train_on_table(
        &dir,
        &table,
        &["--optimizer", "sgd", "--lr", "0.01", "--epochs", "5"],
    );
    let said = text(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.contains("training diverged"), "{said}");
    assert!(said.contains("at epoch 1, batch"), "{said}");
    assert!(said.contains("lower --lr"), "{said}");
    assert!(
        !dir.join("model.bpk").exists(),
        "a model that diverged was saved"
    );
    assert!(!dir.join("report.json").exists());
}

#[test]
fn a_divergence_after_finished_epochs_keeps_the_best_of_them() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    let table = exploding_table(root.path());
    let output = train_on_table(&dir, &table, &["--epochs", "2"]);
    assert!(output.status.success(), "{}", text(&output));
    // Resumed with a rate no network survives: epoch 3 diverges.
    let (output, _) = run_within(
        train(
            &dir,
            &[
                "--resume",
                dir.to_str().unwrap(),
                "--epochs",
                "4",
                "--lr",
                "1e15",
            ],
        ),
        Duration::from_secs(120),
    );
    let said = text(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.contains("at epoch 3, batch"), "{said}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["diverged"], true);
    assert_eq!(report["epochs_run"], 2);
    assert!(report["best_epoch"].as_u64().unwrap() <= 2);
    assert_run_files_whole(&dir);
    let config = train::TrainingConfig::load_file(&dir.join("config.json")).unwrap();
    let network = train::load_network(
        &config,
        &dir.join("model.bpk"),
        &burn::prelude::Device::flex(),
    )
    .unwrap();
    let y = train::forward_examples(
        &network,
        &config.input,
        config.normalization.as_ref(),
        &[vec![100_000.0, 3.0]],
        &burn::prelude::Device::flex(),
    );
    assert!(y[0].is_finite(), "the kept model answers {}", y[0]);
}

/// `--lr` above 1 is a learning rate like any other, under either schedule.
#[test]
fn a_learning_rate_above_one_is_accepted_by_both_schedules() {
    let root = tempfile::tempdir().unwrap();
    for schedule in ["constant", "cosine"] {
        let dir = root.path().join(schedule);
        let (output, _) = run_within(
            train(
                &dir,
                &[
                    "--dataset",
                    "circle",
                    "--optimizer",
                    "sgd",
                    "--lr",
                    "2",
                    "--lr-schedule",
                    schedule,
                    "--epochs",
                    "2",
                ],
            ),
            Duration::from_secs(120),
        );
        assert!(output.status.success(), "{schedule}: {}", text(&output));
    }
}

/// wgpu where no Vulkan adapter exists (the loader finds no driver; an OpenGL one may be
/// there): an error within seconds that says what to install, never training on GL.
#[cfg(feature = "wgpu")]
#[test]
fn wgpu_without_a_vulkan_adapter_fails_fast_with_what_to_install() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    let mut command = train(
        &dir,
        &["--backend", "wgpu", "--dataset", "circle", "--epochs", "1"],
    );
    command
        .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
        .env("VK_DRIVER_FILES", "/nonexistent/icd.json");
    let (output, took) = run_within(command, Duration::from_secs(60));
    let said = text(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(said.contains("wgpu found no Vulkan adapter"), "{said}");
    assert!(said.contains("mesa-vulkan-drivers libvulkan1"), "{said}");
    assert!(!said.contains("Training on"), "{said}");
}

/// The same with the Vulkan loader itself missing (hidden by a bind mount in a private mount
/// namespace, which needs root and `unshare`; skipped otherwise).
#[cfg(all(feature = "wgpu", target_os = "linux"))]
#[test]
fn wgpu_without_the_vulkan_loader_fails_fast() {
    let loader = [
        "/lib/x86_64-linux-gnu/libvulkan.so.1",
        "/usr/lib/x86_64-linux-gnu/libvulkan.so.1",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists());
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n");
    let Some(loader) = loader.filter(|_| root_user) else {
        eprintln!("skipped: needs root and libvulkan.so.1 to hide it");
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    let script = format!(
        "mount --bind /dev/null {loader} && exec {} --backend wgpu --dataset circle --epochs 1 \
         --progress lines --artifact-dir {}",
        train_bin().display(),
        dir.display()
    );
    let mut command = Command::new("unshare");
    command
        .args(["-m", "sh", "-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let (output, took) = run_within(command, Duration::from_secs(60));
    let said = text(&output);
    if said.contains("unshare failed") || said.contains("mount:") {
        eprintln!("skipped: no private mount namespace here: {said}");
        return;
    }
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(said.contains("mesa-vulkan-drivers libvulkan1"), "{said}");
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n")
}

/// A tmpfs of `size` mounted on `dir` for the test's life; `None` when this process may not
/// mount (not root, or no mount namespace to do it in).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = is_root()
            && Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
                .arg(dir)
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }

    fn read_only(&self) {
        let status = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A line of `said` that names a file under `dir`.
fn names_a_file_under(said: &str, dir: &Path) -> bool {
    said.lines()
        .any(|l| l.starts_with("error") && l.contains(&*dir.to_string_lossy()))
}

/// A disk that fills during training: an error naming the file, and every file left whole.
#[test]
fn a_full_disk_is_an_error_naming_the_file() {
    let root = tempfile::tempdir().unwrap();
    let Some(disk) = Tmpfs::mount(&root.path().join("disk"), "160k") else {
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    };
    let dir = disk.0.join("run");
    let (output, _) = run_within(train(&dir, SPIRAL), Duration::from_secs(120));
    let said = text(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.contains("No space left on device"), "{said}");
    assert!(names_a_file_under(&said, &dir), "{said}");
    assert_run_files_whole(&dir);
}

/// A read-only disk: resuming a run there fails naming the file, and what the run wrote
/// before stays whole.
#[test]
fn a_read_only_disk_is_an_error_naming_the_file() {
    let root = tempfile::tempdir().unwrap();
    let tmpfs = Tmpfs::mount(&root.path().join("disk"), "64m");
    let base = tmpfs
        .as_ref()
        .map_or_else(|| root.path().join("disk"), |t| t.0.clone());
    let dir = base.join("run");
    let circle = ["--dataset", "circle", "--epochs", "2"];
    let (output, _) = run_within(train(&dir, &circle), Duration::from_secs(120));
    assert!(output.status.success(), "{}", text(&output));
    let before = std::fs::read(dir.join("model.bpk")).unwrap();
    match &tmpfs {
        Some(t) => t.read_only(),
        None if is_root() => {
            eprintln!("skipped: root ignores permissions and cannot mount here");
            return;
        }
        None => {
            use std::os::unix::fs::PermissionsExt;
            for d in [dir.clone(), dir.join("checkpoint")] {
                std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o555)).unwrap();
            }
        }
    }
    let (output, _) = run_within(
        train(&dir, &["--resume", dir.to_str().unwrap(), "--epochs", "3"]),
        Duration::from_secs(120),
    );
    let said = text(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(
        said.contains("Read-only file system") || said.contains("Permission denied"),
        "{said}"
    );
    assert!(names_a_file_under(&said, &dir), "{said}");
    assert_eq!(std::fs::read(dir.join("model.bpk")).unwrap(), before);
    assert_run_files_whole(&dir);
}
