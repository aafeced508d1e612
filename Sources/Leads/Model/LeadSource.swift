/// Where a lead came from: the site (its form and JSON API) or a source named with its ingest
/// key (`INGEST_KEYS=telegram:…`). The name is stored with the lead, shown in the admin and
/// the CSV, and sent to amoCRM as the deal's tag.
public struct LeadSource: Hashable, Sendable, CustomStringConvertible {
    public let name: String

    public init(_ name: String) {
        self.name = name
    }

    /// The site's own form and JSON API.
    public static let site = LeadSource("сайт")

    public var description: String { name }
}
