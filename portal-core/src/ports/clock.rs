//! Time, as a port, so tests can move it (session expiry, token expiry, throttling).

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use std::cell::Cell;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;

    /// Now to within a few milliseconds, never later than [`Clock::now`], for per-request checks
    /// measured in minutes (session timeouts) that run on every request. Defaults to `now()`.
    fn now_coarse(&self) -> DateTime<Utc> {
        self.now()
    }
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    /// `Utc::now()`, minus most of its calendar arithmetic (see `utc_from_epoch`).
    fn now(&self) -> DateTime<Utc> {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since_epoch) => utc_from_epoch(since_epoch),
            Err(_) => Utc::now(),
        }
    }

    fn now_coarse(&self) -> DateTime<Utc> {
        match Self::coarse_since_epoch() {
            Some(since_epoch) => utc_from_epoch(since_epoch),
            None => Utc::now(),
        }
    }
}

/// A duration since the Unix epoch as a UTC time, the date computed once per day and thread.
fn utc_from_epoch(since_epoch: std::time::Duration) -> DateTime<Utc> {
    const DAY: u64 = 86_400;
    thread_local! {
        static TODAY: Cell<(u64, Option<NaiveDate>)> = const { Cell::new((u64::MAX, None)) };
    }
    let secs = since_epoch.as_secs();
    let (day, secs_of_day) = (secs / DAY, (secs % DAY) as u32);
    let date = TODAY.with(|today| match today.get() {
        (cached, Some(date)) if cached == day => Some(date),
        _ => {
            let date = DateTime::from_timestamp((day * DAY) as i64, 0).map(|d| d.date_naive());
            today.set((day, date));
            date
        }
    });
    let time = NaiveTime::from_num_seconds_from_midnight_opt(secs_of_day, since_epoch.subsec_nanos());
    match (date, time) {
        (Some(date), Some(time)) => NaiveDateTime::new(date, time).and_utc(),
        _ => Utc::now(),
    }
}

impl SystemClock {
    /// `CLOCK_REALTIME_COARSE`: the time at the kernel's last tick, read without touching the
    /// hardware counter.
    #[cfg(target_os = "linux")]
    fn coarse_since_epoch() -> Option<std::time::Duration> {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable timespec; clock_gettime writes only into it.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut ts) };
        let secs = u64::try_from(ts.tv_sec).ok()?;
        let nanos = u32::try_from(ts.tv_nsec).ok()?;
        (rc == 0).then(|| std::time::Duration::new(secs, nanos))
    }

    #[cfg(not(target_os = "linux"))]
    fn coarse_since_epoch() -> Option<std::time::Duration> {
        SystemTime::now().duration_since(UNIX_EPOCH).ok()
    }
}

/// A clock that only moves when told to; for tests and simulations.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(start))
    }

    /// Move forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }

    /// Jump to `to`.
    pub fn set(&self, to: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new(Utc::now())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_agrees_with_chrono() {
        for _ in 0..1000 {
            let before = Utc::now();
            let now = SystemClock.now();
            let after = Utc::now();
            assert!(before <= now && now <= after, "{before} <= {now} <= {after}");
        }
    }

    #[test]
    fn coarse_time_is_never_ahead_and_at_most_a_few_ticks_behind() {
        for _ in 0..1000 {
            let coarse = SystemClock.now_coarse();
            let fine = SystemClock.now();
            assert!(coarse <= fine, "{coarse} <= {fine}");
            assert!(fine - coarse < Duration::milliseconds(50), "{fine} - {coarse}");
        }
    }
}
