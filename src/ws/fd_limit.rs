//! The process's open-file limit. Every live stream is a socket, and a socket is a file
//! descriptor; the usual soft limit of 1,024 would stop a city's walls long before memory
//! or CPU does. The server raises the soft limit to the hard limit at start (as the
//! fan-out bench does for its ten thousand screens) and admits streams only while a
//! reserve of descriptors is left for HTTP, the store and files (`WsLimits::fd_reserve`),
//! so running out refuses a screen with 503 instead of failing an `accept` or a write.

/// Where the soft limit goes when the hard limit is unlimited: Linux refuses any soft
/// limit above `fs.nr_open`, whose default is this.
const UNLIMITED_CAP: u64 = 1 << 20;

/// The current soft limit on open files.
pub fn open_files() -> std::io::Result<u64> {
    Ok(read()?.rlim_cur as u64)
}

/// Raises this process's soft open-file limit to its hard limit (children inherit it) and
/// returns the new soft limit.
pub fn raise_open_files() -> std::io::Result<u64> {
    let mut limit = read()?;
    let hard = if limit.rlim_max == libc::RLIM_INFINITY {
        UNLIMITED_CAP as libc::rlim_t
    } else {
        limit.rlim_max
    };
    if limit.rlim_cur >= hard {
        return Ok(limit.rlim_cur as u64);
    }
    limit.rlim_cur = hard;
    // SAFETY: setrlimit only reads the struct passed to it.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(limit.rlim_cur as u64)
}

/// Raises the limit for the server, logging the outcome: a server that could not raise it
/// still runs, admitting fewer streams.
pub fn raise_for_server() {
    match raise_open_files() {
        Ok(limit) => tracing::debug!(limit, "open-file limit"),
        Err(error) => tracing::warn!(%error, "open-file limit not raised"),
    }
}

fn read() -> std::io::Result<libc::rlimit> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct passed to it.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raising_leaves_the_soft_limit_at_the_hard_limit() {
        let raised = raise_open_files().unwrap();
        assert_eq!(open_files().unwrap(), raised);
        let hard = read().unwrap().rlim_max;
        assert!(hard == libc::RLIM_INFINITY || raised == hard as u64);
        assert_eq!(
            raise_open_files().unwrap(),
            raised,
            "raising again changes nothing"
        );
    }
}
