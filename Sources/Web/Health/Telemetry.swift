import CoreMetrics
import Prometheus

/// The application's metrics: one Prometheus registry per application, handed to every part
/// as a swift-metrics factory.
///
/// No process-global `MetricsSystem.bootstrap`: a test process builds many applications, and
/// each must count its own requests. The domain targets only know swift-metrics' API.
public final class Telemetry: Sendable {
    let registry = PrometheusCollectorRegistry()
    /// What the domain targets make their counters, timers and gauges with.
    public let factory: any MetricsFactory

    public init() {
        factory = DescribedMetricsFactory(registry: registry)
    }

    /// The Prometheus text exposition (format 0.0.4) of everything recorded.
    func exposition() -> [UInt8] { registry.emitToBuffer() }
}

/// swift-prometheus' factory, with each metric's HELP line and histogram buckets taken from
/// `MetricCatalog` (swift-metrics has no place for either).
struct DescribedMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry

    /// The whole name is the label (units included: `_seconds`, `_total`), with its help text.
    static func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: MetricCatalog.help(label))
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: Self.descriptor(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: Self.descriptor(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: Self.descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(descriptor: Self.descriptor(label), labels: dimensions, buckets: MetricCatalog.valueBuckets(label))
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: Self.descriptor(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: Self.descriptor(label), labels: dimensions, buckets: MetricCatalog.durationBuckets(label))
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}
