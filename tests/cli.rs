//! The command line as the documentation shows it: `docs/cli.md` is generated from the code,
//! and every command in README.md and docs/ is accepted by the parser and, for `train`, by
//! the settings (a known model, a known dataset, flags that apply), without training.

use std::path::{Path, PathBuf};

use clap::Parser;

use aprende::cli::{Cli, Command};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_cli_reference_in_docs_is_the_code_s() {
    let path = root().join("docs/cli.md");
    let generated = aprende::cli::reference();
    if std::env::var_os("APRENDE_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == generated,
        "docs/cli.md differs from the code's flags: run `APRENDE_UPDATE_DOCS=1 cargo test \
         --release --test cli` and commit docs/cli.md"
    );
    // Every model and every task is in it.
    for entry in models::REGISTRY {
        assert!(generated.contains(entry.name), "{} missing", entry.name);
    }
    for heading in [
        "Data:",
        "Model:",
        "Optimisation:",
        "Fitting:",
        "Devices:",
        "Output:",
    ] {
        assert!(generated.contains(heading), "{heading} missing");
    }
}

/// The words of a shell command line: spaces split, quotes group (no expansions).
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                any = false;
            }
            (None, c) => word.push(c),
        }
    }
    if any || !word.is_empty() {
        words.push(word);
    }
    words
}

/// The arguments `aprende` would get for a command line of the docs, or `None` when it is not
/// one of aprende's commands.
fn aprende_args(command: &str) -> Option<Vec<String>> {
    let mut w = words(command);
    // Environment assignments before the command.
    while w
        .first()
        .is_some_and(|x| x.contains('=') && !x.starts_with('-'))
    {
        w.remove(0);
    }
    let rest = |w: &[String]| w.to_vec();
    match w.first().map(String::as_str) {
        Some("aprende") => Some(w),
        Some("cargo") if w.get(1).map(String::as_str) == Some("run") => {
            let dash = w.iter().position(|x| x == "--");
            let cargo_args = &w[..dash.unwrap_or(w.len())];
            if cargo_args.iter().any(|a| a == "--example") {
                return None;
            }
            let package = cargo_args
                .iter()
                .position(|a| a == "-p" || a == "--package")
                .and_then(|i| cargo_args.get(i + 1))
                .map(String::as_str);
            let after: Vec<String> = dash.map(|d| rest(&w[d + 1..])).unwrap_or_default();
            let mut args = vec!["aprende".to_string()];
            match package {
                Some("train") => args.push("train".into()),
                Some("app") | None => {}
                Some(_) => return None,
            }
            args.extend(after);
            Some(args)
        }
        _ => None,
    }
}

/// Each shell command in the ```sh blocks of `text`: continuation lines joined, comments
/// dropped, pipelines and `&&` chains split; with its line number.
fn shell_commands(text: &str) -> Vec<(usize, String)> {
    let mut commands = Vec::new();
    let mut in_sh = false;
    let mut pending: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_sh = !in_sh && matches!(trimmed, "```sh" | "```bash" | "```shell");
            pending = None;
            continue;
        }
        if !in_sh {
            continue;
        }
        let (start, mut joined) = pending.take().unwrap_or((i + 1, String::new()));
        let code = match trimmed.find(" #") {
            Some(at) if !trimmed.starts_with('#') => &trimmed[..at],
            _ if trimmed.starts_with('#') => "",
            _ => trimmed,
        };
        if let Some(head) = code.strip_suffix('\\') {
            joined.push_str(head);
            joined.push(' ');
            pending = Some((start, joined));
            continue;
        }
        joined.push_str(code);
        for part in joined.split("&&").flat_map(|p| p.split(';')) {
            let part = part.split(" | ").next().unwrap_or("");
            let part = part.split(" > ").next().unwrap_or("").trim();
            let part = part.trim_end_matches('&').trim();
            if !part.is_empty() {
                commands.push((start, part.to_string()));
            }
        }
    }
    commands
}

fn docs_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// Why `args` would not run: a parse error, or a setting the run would refuse.
fn refusal(args: &[String]) -> Option<String> {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return Some(e.to_string()),
    };
    if let Command::Train(train) = cli.command {
        // A rerun or a resume starts from a saved config that only exists after a run.
        if train.config.is_none() && train.resume.is_none() {
            return train::settings::Settings::resolve(&train.flags, None)
                .err()
                .map(|e| e.to_string());
        }
    }
    None
}

#[test]
fn every_command_in_the_readme_and_docs_is_accepted() {
    let mut checked = 0;
    let mut refused = Vec::new();
    for file in docs_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file
            .strip_prefix(root())
            .unwrap_or(&file)
            .display()
            .to_string();
        for (line, command) in shell_commands(&text) {
            let Some(args) = aprende_args(&command) else {
                continue;
            };
            checked += 1;
            if let Some(why) = refusal(&args) {
                refused.push(format!("{name}:{line}: `{command}`\n  {}", why.trim()));
            }
        }
    }
    assert!(
        refused.is_empty(),
        "{} of {checked} commands are refused:\n{}",
        refused.len(),
        refused.join("\n")
    );
    assert!(
        checked >= 30,
        "only {checked} commands found: is the extraction broken?"
    );
}

#[test]
fn the_extraction_sees_what_a_reader_would_run() {
    let text = "```sh\n# a comment\nVAR=1 aprende train --model lenet \\\n  --epochs 2   # note\n\
                cargo run --release -p app -- predict --run a b.png | head\n```\n\
                ```text\naprende train --bogus\n```\n";
    let commands = shell_commands(text);
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert_eq!(
        aprende_args(&commands[0].1).unwrap(),
        ["aprende", "train", "--model", "lenet", "--epochs", "2"]
    );
    assert_eq!(
        aprende_args(&commands[1].1).unwrap(),
        ["aprende", "predict", "--run", "a", "b.png"]
    );
    // A refused command is caught: the README's old `--backend wgpu --devices ...`, an
    // inapplicable flag, a mistyped model.
    let refused = |line: &str| refusal(&aprende_args(line).unwrap());
    assert!(refused("aprende train --backend wgpu --devices wgpu:0,wgpu:1").is_some());
    assert!(refused("aprende train --fine-tune 2").is_some());
    let typo = refused("aprende train --model lenett").unwrap();
    assert!(typo.contains("did you mean `lenet`"), "{typo}");
    assert!(refused("aprende train --model lenet --epochs 2").is_none());
}

#[test]
fn train_help_groups_its_flags_under_headings() {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    cmd.build();
    let train = cmd.find_subcommand_mut("train").unwrap();
    let help = train.render_help().to_string();
    let at = |heading: &str| {
        help.find(heading)
            .unwrap_or_else(|| panic!("{heading} missing in:\n{help}"))
    };
    // The sections in a run's order, the common flags first in theirs.
    let order = [
        at("Data:"),
        at("Model:"),
        at("Optimisation:"),
        at("Fitting:"),
        at("Devices:"),
        at("Output:"),
    ];
    assert!(order.is_sorted(), "{help}");
    let data = &help[order[0]..order[1]];
    assert!(
        data.trim_start_matches("Data:")
            .trim_start()
            .starts_with("--dataset"),
        "{data}"
    );
    let fitting = &help[order[3]..order[4]];
    assert!(
        fitting
            .trim_start_matches("Fitting:")
            .trim_start()
            .starts_with("--epochs"),
        "{fitting}"
    );
}

#[test]
fn the_docs_link_to_pages_that_exist() {
    for file in docs_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let dir = file.parent().unwrap();
        for (at, _) in text.match_indices("](") {
            let target: String = text[at + 2..].chars().take_while(|&c| c != ')').collect();
            if target.starts_with("http") || target.starts_with('#') || target.contains(' ') {
                continue;
            }
            let path = target.split('#').next().unwrap();
            assert!(
                Path::new(dir).join(path).exists(),
                "{}: link to {target}, which does not exist",
                file.display()
            );
        }
    }
}
