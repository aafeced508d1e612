import ArgumentParser
import Basics
import Foundation
import Logging
import SafeText
import Web

/// `catalog-bff doctor`: every configured service checked live, one line per check; the exit
/// status is 1 when something would lose or delay leads, 2 when the settings do not parse.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check every configured service live (Directus, amoCRM, SMTP, the database) and print one line per check.")

    func run() async throws {
        let configuration: AppConfiguration
        switch Doctor.settings(DotEnv.environment()) {
        case .success(let read): configuration = read
        case .failure(let diagnosis):
            print(PrintableText.escape(diagnosis.line))
            throw ExitCode(2)
        }
        var logger = Logger(label: "catalog-bff")
        logger.logLevel = .critical
        let diagnoses = await Doctor(configuration: configuration, logger: logger).examine()
        // What services answered is printed with its control characters shown, not sent.
        for diagnosis in diagnoses { print(PrintableText.escape(diagnosis.line)) }
        let failures = diagnoses.filter { $0.level == .failure }.count
        let warnings = diagnoses.filter { $0.level == .warning }.count
        print("— проверок: \(diagnoses.count), сбоев: \(failures), предупреждений: \(warnings)")
        if failures > 0 { throw ExitCode.failure }
    }
}
