//! The injected clock. Deadlines and observation periods are measured against it, so
//! tests move time instead of sleeping and the demo can run time faster than real.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The real time.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Clone, Debug)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().expect("clock lock poisoned");
        *now += by;
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.now.lock().expect("clock lock poisoned") = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().expect("clock lock poisoned")
    }
}

/// A clock that runs `speed` times faster than real time from a starting point; the demo
/// uses it so deadlines pass while a visitor watches.
#[derive(Clone, Debug)]
pub struct AcceleratedClock {
    origin_real: DateTime<Utc>,
    origin_virtual: DateTime<Utc>,
    speed: f64,
}

impl AcceleratedClock {
    pub fn new(start: DateTime<Utc>, speed: f64) -> AcceleratedClock {
        AcceleratedClock {
            origin_real: Utc::now(),
            origin_virtual: start,
            speed: speed.max(1.0),
        }
    }
}

impl Clock for AcceleratedClock {
    fn now(&self) -> DateTime<Utc> {
        let real = Utc::now() - self.origin_real;
        let millis = (real.num_milliseconds() as f64 * self.speed) as i64;
        self.origin_virtual + Duration::milliseconds(millis)
    }
}
