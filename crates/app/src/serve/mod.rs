//! `app serve`: a web page and a JSON API for trained runs, on axum and tokio.
//!
//! Each run is loaded once at start ([`runs`]). A request for a prediction is one batch:
//! it is decoded and run on tokio's blocking pool, sharing the loaded network read-only
//! with every other request (a network is immutable once loaded, so no lock is needed and
//! requests for one run are answered in parallel). Pages are HTML from minijinja templates,
//! CSS and JavaScript, all embedded in the binary (`pages.rs`, `templates/`, `assets/`); the
//! API answers JSON (`api.rs`).

mod api;
mod pages;
pub mod runs;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use burn::prelude::Device;

use crate::predict::AppError;
pub use runs::{PageKind, ServedRun};

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Run directories to serve.
    pub runs: Vec<PathBuf>,
    /// A folder whose sub-folders holding a `config.json` are served too.
    pub runs_dir: Option<PathBuf>,
    /// Address to listen on.
    pub bind: IpAddr,
    /// Port (0: any free port).
    pub port: u16,
    /// Largest request body in bytes; a larger one is answered 413.
    pub max_upload: usize,
    /// Print one line per request (method, path, status, milliseconds) on standard error.
    pub log: bool,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            runs: Vec::new(),
            runs_dir: None,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            max_upload: DEFAULT_MAX_UPLOAD,
            log: true,
        }
    }
}

/// `--max-upload`'s default: 10 MB.
pub const DEFAULT_MAX_UPLOAD: usize = 10 * 1024 * 1024;

/// What every handler shares.
pub(crate) struct State {
    runs: std::collections::BTreeMap<String, Arc<ServedRun>>,
    device: Device,
    max_upload: usize,
}

impl State {
    fn run(&self, name: &str) -> Option<Arc<ServedRun>> {
        self.runs.get(name).cloned()
    }
}

/// A server running on its own threads.
pub struct Server {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The runs it serves, by name.
    pub names: Vec<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Stops taking connections, lets the requests in flight finish, and waits for that.
    pub fn stop(mut self) -> std::io::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the server thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// Loads the runs and binds the address: everything that can fail before serving.
fn prepare(options: &ServeOptions, device: &Device) -> Result<(State, TcpListener), AppError> {
    let runs = runs::load_all(&options.runs, options.runs_dir.as_deref(), device)?;
    if runs.is_empty() {
        return Err(AppError::Input(
            "no runs to serve: give --run DIR (a trained run) or --runs-dir DIR".into(),
        ));
    }
    let addr = SocketAddr::new(options.bind, options.port);
    let listener = TcpListener::bind(addr)
        .map_err(|e| AppError::Input(format!("cannot listen on {addr}: {e}")))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| AppError::Input(format!("{addr}: {e}")))?;
    let state = State {
        runs: runs
            .into_iter()
            .map(|r| (r.name.clone(), Arc::new(r)))
            .collect(),
        device: device.clone(),
        max_upload: options.max_upload,
    };
    Ok((state, listener))
}

fn router(state: Arc<State>, log: bool) -> Router {
    let max = state.max_upload;
    let app = Router::new()
        .route("/", get(pages::index))
        .route("/healthz", get(api::health))
        .route("/api/runs", get(api::list))
        .route("/api/runs/{name}/predict", post(api::predict))
        .route("/api/runs/{name}/recommend", get(api::recommend))
        .route("/runs/{name}", get(pages::run_page))
        .route("/runs/{name}/report", get(pages::report))
        .route("/runs/{name}/{file}", get(pages::run_file))
        .route("/assets/{file}", get(pages::asset))
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(max))
        .with_state(state);
    if log {
        app.layer(middleware::from_fn(log_request))
    } else {
        app
    }
}

/// One line per request: method, path, status, milliseconds.
async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    eprintln!(
        "{method} {path} {} {:.1} ms",
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    response
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("app-serve")
        .build()
}

/// Serves on threads of its own until [`Server::stop`] (tests, benchmarks).
pub fn start(options: &ServeOptions, device: &Device) -> Result<Server, AppError> {
    let (state, listener) = prepare(options, device)?;
    let addr = listener
        .local_addr()
        .map_err(|e| AppError::Input(e.to_string()))?;
    let names = state.runs.keys().cloned().collect();
    let app = router(Arc::new(state), options.log);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        runtime()?.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        })
    });
    Ok(Server {
        addr,
        names,
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// Serves until Ctrl-C (or SIGTERM), then lets the requests in flight finish. `ready` is
/// called with the address once it listens.
pub fn serve_until_interrupted(
    options: &ServeOptions,
    device: &Device,
    ready: impl FnOnce(SocketAddr, &[String]),
) -> Result<(), AppError> {
    let (state, listener) = prepare(options, device)?;
    let addr = listener
        .local_addr()
        .map_err(|e| AppError::Input(e.to_string()))?;
    let names: Vec<String> = state.runs.keys().cloned().collect();
    let app = router(Arc::new(state), options.log);
    ready(addr, &names);
    let io = |e: std::io::Error| AppError::Input(format!("serving on {addr}: {e}"));
    runtime().map_err(io)?.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).map_err(io)?;
        axum::serve(listener, app)
            .with_graceful_shutdown(interrupted())
            .await
            .map_err(io)
    })
}

/// Ctrl-C, or SIGTERM on Unix.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    eprintln!("Stopping: finishing the requests in flight.");
}
