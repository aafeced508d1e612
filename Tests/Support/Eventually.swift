/// Waits until `condition` holds, checking every 20 ms, for at most `timeout`; returns
/// whether it came true. For outcomes of background work (a delivery, a refresh), so that a
/// test waits exactly as long as the work takes and no longer.
public func eventually(
    timeout: Duration = .seconds(10), _ condition: @Sendable () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try await Task.sleep(for: .milliseconds(20))
    }
}
