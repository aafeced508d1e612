import Alerts

extension LeadStore: DeadDeliveriesSignal {
    public func deadDeliveries() async throws -> [(key: String, name: String, count: Int)] {
        let counts = try await outboxCounts()
        return DeliveryChannel.allCases.map { ($0.rawValue, $0.displayName, counts[$0]?[.dead] ?? 0) }
    }
}
