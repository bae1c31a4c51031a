//! Stopping without dropping anyone's request. At the signal the listening
//! socket closes (new connections are refused, so a load balancer moves on)
//! and every response says `Connection: close`, so busy keep-alive
//! connections end after their answer instead of being closed under a
//! request the client is sending. After a short lame-duck pause the idle
//! connections are closed and the server waits for the rest.

use std::net::SocketAddr;
use std::time::Duration;

use axum::serve::Listener;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// How long busy connections get to take their `Connection: close` before
/// idle ones are closed.
pub const LAME_DUCK: Duration = Duration::from_secs(1);

/// A TCP listener that closes its socket once `closing` turns true.
pub struct ClosingListener {
    socket: Option<TcpListener>,
    addr: SocketAddr,
    closing: watch::Receiver<bool>,
}

impl ClosingListener {
    pub fn new(socket: TcpListener, closing: watch::Receiver<bool>) -> std::io::Result<Self> {
        Ok(Self {
            addr: socket.local_addr()?,
            socket: Some(socket),
            closing,
        })
    }
}

impl Listener for ClosingListener {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            let Some(socket) = self.socket.as_mut() else {
                // Closed: the server stops accepting and drains.
                return std::future::pending().await;
            };
            if *self.closing.borrow() {
                // The kernel has already completed these connections and
                // their clients may be sending a request (a keep-alive client
                // told `Connection: close` reconnects at once): closing the
                // socket now would reset them. Serve what is queued, then
                // close, so later clients are refused before they send.
                match accept_queued(socket) {
                    Some(accepted) => return accepted,
                    None => self.socket = None,
                }
                continue;
            }
            let closing = &mut self.closing;
            tokio::select! {
                accepted = Listener::accept(socket) => return accepted,
                _ = closing.wait_for(|c| *c) => {}
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

/// A connection already waiting in the accept queue, without waiting for one.
fn accept_queued(socket: &TcpListener) -> Option<(TcpStream, SocketAddr)> {
    let waker = std::task::Waker::noop();
    match socket.poll_accept(&mut std::task::Context::from_waker(waker)) {
        std::task::Poll::Ready(Ok(accepted)) => Some(accepted),
        // Nothing queued, or the socket failed: either way it closes now.
        std::task::Poll::Ready(Err(_)) | std::task::Poll::Pending => None,
    }
}
