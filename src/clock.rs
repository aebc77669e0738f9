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
    origin: Arc<Mutex<(DateTime<Utc>, DateTime<Utc>)>>,
    speed: f64,
}

impl AcceleratedClock {
    pub fn new(start: DateTime<Utc>, speed: f64) -> AcceleratedClock {
        AcceleratedClock {
            origin: Arc::new(Mutex::new((Utc::now(), start))),
            speed: speed.max(1.0),
        }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Sets the clock to `at`, from where it runs on at its speed. The demo's past is
    /// lived through by setting it step by step before anyone reads it.
    pub fn jump_to(&self, at: DateTime<Utc>) {
        *self.origin.lock().expect("clock lock poisoned") = (Utc::now(), at);
    }

    /// Moves the clock forward to `at` if it is behind it. A restarted demo has stored
    /// events from a virtual future; time must not run backwards past them, or deadlines
    /// already missed would be due again and durations would turn negative.
    pub fn resume_after(&self, at: DateTime<Utc>) {
        let mut origin = self.origin.lock().expect("clock lock poisoned");
        if virtual_now(&origin, self.speed) < at {
            *origin = (Utc::now(), at);
        }
    }
}

fn virtual_now(origin: &(DateTime<Utc>, DateTime<Utc>), speed: f64) -> DateTime<Utc> {
    let real = Utc::now() - origin.0;
    let millis = (real.num_milliseconds() as f64 * speed) as i64;
    origin.1 + Duration::milliseconds(millis)
}

impl Clock for AcceleratedClock {
    fn now(&self) -> DateTime<Utc> {
        virtual_now(
            &self.origin.lock().expect("clock lock poisoned"),
            self.speed,
        )
    }
}
