import Logging

/// A logger for tests that only speaks up for critical problems.
public let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()
