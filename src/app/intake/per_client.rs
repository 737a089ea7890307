//! Submission requests in flight per client address: one address may hold only so many of
//! the in-flight slots, so a few slow or stuck clients cannot take them all.
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct PerClient {
    cap: usize,
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// The client already holds all the places it may.
#[derive(Debug)]
pub struct AddressFull;

/// One request's place in its client's count; dropping it gives the place back.
pub struct ClientSlot {
    ip: IpAddr,
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerClient {
    /// `cap` 0: no cap.
    pub fn new(cap: usize) -> Self {
        Self { cap, counts: Default::default() }
    }

    /// A place for this client, or `None` when it already holds `cap` of them.
    pub fn enter(&self, client: Option<IpAddr>) -> Result<Option<ClientSlot>, AddressFull> {
        let (Some(ip), true) = (client, self.cap > 0) else {
            return Ok(None);
        };
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let n = counts.entry(ip).or_insert(0);
        if *n >= self.cap {
            return Err(AddressFull);
        }
        *n += 1;
        Ok(Some(ClientSlot { ip, counts: self.counts.clone() }))
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = counts.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_holds_at_most_its_cap_and_gets_places_back() {
        let limit = PerClient::new(2);
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let first = limit.enter(Some(a)).unwrap();
        let _second = limit.enter(Some(a)).unwrap();
        assert!(limit.enter(Some(a)).is_err(), "a third place for the same address");
        assert!(limit.enter(Some(b)).unwrap().is_some(), "another address is not affected");
        drop(first);
        assert!(limit.enter(Some(a)).is_ok(), "a place given back can be taken again");
        assert!(PerClient::new(0).enter(Some(a)).unwrap().is_none(), "0 turns the cap off");
    }
}
