import CoreMetrics

extension CoreMetrics.Timer {
    /// Records a `Duration` (swift-metrics takes integers of a unit).
    public func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
