//! `app serve-device`: serves this machine's devices to a `train --devices ws://HOST:PORT/N`
//! on another machine, through burn's remote backend over a websocket (the `remote` cargo
//! feature). The client sends every tensor operation and the server runs it: training runs
//! on the server's devices while the data, the autodiff graph and the learner stay with the
//! client, so the link's speed bounds the training's.

use std::net::TcpListener;

use burn::prelude::Device;

use crate::predict::AppError;

/// Serves `devices` on `listener` until Ctrl-C or SIGTERM. With a `token`, only clients that
/// present it (`train --remote-token`) open a session; without one, anyone who reaches the
/// port can run operations on the devices.
#[cfg(feature = "remote")]
pub fn serve_devices(
    devices: Vec<Device>,
    listener: TcpListener,
    token: Option<&str>,
) -> Result<(), AppError> {
    use burn::tensor::server::{RemoteServer, TokenAuthorizer, WebSocketTransport};
    let mut server = RemoteServer::new(devices);
    if let Some(token) = token {
        let authorizer =
            TokenAuthorizer::new(token).map_err(|e| AppError::Input(format!("--token: {e}")))?;
        server = server.with_authorizer(authorizer);
    }
    server
        .serve(WebSocketTransport::from_listener(listener))
        .map_err(|e| AppError::Input(format!("serving the devices failed: {e}")))
}

/// Without the `remote` feature: an error that says how to get it.
#[cfg(not(feature = "remote"))]
pub fn serve_devices(
    _devices: Vec<Device>,
    _listener: TcpListener,
    _token: Option<&str>,
) -> Result<(), AppError> {
    Err(AppError::Input(
        "this build cannot serve devices; rebuild with `--features remote` (burn's remote \
         backend, off by default for its size)"
            .into(),
    ))
}
