//! Downloads sent as they are produced: a producer on a blocking thread writes into a small
//! channel that the response body drains, so a version of any size is never held in memory;
//! a slow reader holds the producer back and one who leaves stops it.
use crate::db::published::item_opinions;
use crate::db::Db;
use crate::domain::results::{PublishedItem, PublishedOpinion, PublishedResults};
use actix_web::web::Bytes;
use futures_util::Stream;
use std::io::{self, Write};
use tokio::sync::mpsc;

/// Bytes gathered before a chunk is handed to the connection.
const CHUNK: usize = 64 * 1024;
/// Chunks waiting for the connection before the producer waits.
const IN_FLIGHT: usize = 4;
/// Opinions read from the database at once.
pub const OPINIONS_PER_READ: usize = 1000;

/// Writes into the response body, a chunk at a time.
pub struct ChunkWriter {
    buffer: Vec<u8>,
    sender: mpsc::Sender<io::Result<Bytes>>,
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK)));
        self.sender
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client stopped reading"))
    }
}

/// A response body produced by `produce` on a blocking thread. A failure part-way ends the
/// body with an error, so the client sees a broken download rather than a short file.
pub fn streamed<F>(produce: F) -> impl Stream<Item = io::Result<Bytes>>
where
    F: FnOnce(&mut ChunkWriter) -> io::Result<()> + Send + 'static,
{
    let (sender, receiver) = mpsc::channel(IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        let mut writer = ChunkWriter { buffer: Vec::with_capacity(CHUNK), sender: sender.clone() };
        match produce(&mut writer).and_then(|()| writer.flush()) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
            Err(e) => {
                tracing::error!(error = %e, "a download failed part-way");
                let _ = sender.blocking_send(Err(e));
            }
        }
    });
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    })
}

/// Every opinion `item` answers in `r`, a read at a time, in order.
pub fn each_opinion(
    db: &Db,
    r: &PublishedResults,
    item: &PublishedItem,
    emit: &mut dyn FnMut(&PublishedOpinion) -> io::Result<()>,
) -> io::Result<()> {
    let mut first = 1;
    loop {
        let read = db
            .run_blocking(|c| item_opinions(c, r.version, item, first, OPINIONS_PER_READ))
            .map_err(io::Error::other)?;
        for o in &read {
            emit(o)?;
        }
        if read.len() < OPINIONS_PER_READ {
            return Ok(());
        }
        first += read.len();
    }
}
