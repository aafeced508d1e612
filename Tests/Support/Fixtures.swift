import Catalog
import Foundation

/// The project's copies of the services' reference answers (`Tests/Support/Fixtures`).
public enum Fixtures {
    public static func data(_ path: String) throws -> Data {
        guard let url = Bundle.module.url(forResource: "Fixtures/\(path)", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        return try Data(contentsOf: url)
    }

    public static func json(_ path: String) throws -> JSONValue {
        try JSONParser.parse(data(path))
    }
}
