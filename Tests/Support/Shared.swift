import Synchronization

/// Counts calls; a test-side stand-in for "how often did we go upstream".
public final class CallCounter: Sendable {
    private let count = Mutex(0)

    public init() {}

    @discardableResult
    public func increment() -> Int {
        count.withLock {
            $0 += 1
            return $0
        }
    }

    public var value: Int { count.withLock { $0 } }
}

/// A value shared between test tasks.
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: Value) {
        mutex = Mutex(value)
    }

    public func withLock<T: Sendable>(_ body: (inout Value) -> T) -> T {
        mutex.withLock { body(&$0) }
    }

    public var value: Value { mutex.withLock { $0 } }
}
