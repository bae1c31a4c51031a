//! A TCP proxy the test controls, in front of a real server (PostgreSQL):
//! `cut()` drops every open connection and refuses new ones, as when the
//! network to the database goes away; `restore()` brings it back.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::AbortHandle;

pub struct Proxy {
    pub addr: SocketAddr,
    up: watch::Sender<bool>,
    pipes: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `target`.
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (up, up_rx) = watch::channel(true);
        let pipes: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let accepted = pipes.clone();
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if !*up_rx.borrow() {
                    drop(client); // refused: closed at once
                    continue;
                }
                let pipe = tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let mut client = client;
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
                accepted.lock().unwrap().push(pipe.abort_handle());
            }
        });
        Self { addr, up, pipes }
    }

    /// Drops every connection through the proxy and refuses new ones.
    pub fn cut(&self) {
        self.up.send_replace(false);
        for pipe in self.pipes.lock().unwrap().drain(..) {
            pipe.abort();
        }
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.up.send_replace(true);
    }
}
