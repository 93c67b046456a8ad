//! `aprende`: one command for training (`aprende train`) and for using what was trained
//! (`aprende predict`, `evaluate`, `recommend`, `serve`, `serve-device`).

fn main() {
    aprende::cli::main()
}
