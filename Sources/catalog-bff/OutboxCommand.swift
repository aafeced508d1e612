import Basics
import ArgumentParser
import Foundation
import Leads
import Logging
import SafeText
import Storage
import Web

/// `catalog-bff outbox`: the admin page's delivery list and actions from a shell (over SSH,
/// with the admin page out of reach): list leads by delivery state, make a channel's waiting
/// rows due now, retry or cancel a lead's dead deliveries. A running service picks changes up
/// within seconds (its workers look at the table at least every 5 s).
struct Outbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List lead deliveries and requeue, retry or cancel them (as on /admin).",
        subcommands: [List.self, Requeue.self, Retry.self, Cancel.self],
        defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Leads with their deliveries, newest first.")

        @Option(help: "Only leads with a delivery in this state: pending, delivered, dead, cancelled.")
        var state: String?

        @Option(help: "Only leads from this source (сайт, telegram, …).")
        var source: String?

        @Option(help: "How many leads to show (1–1000).")
        var limit: Int = 50

        func validate() throws {
            if let state, OutboxState(rawValue: state) == nil {
                throw ValidationError("--state must be pending, delivered, dead or cancelled, got '\(state)'")
            }
            guard (1...1_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 1000, got \(limit)") }
        }

        func run() async throws {
            try await withLeadStore { store in
                let filter = LeadFilter(state: state.flatMap(OutboxState.init(rawValue:)), source: source)
                let found = try await store.leads(matching: filter, limit: limit)
                let counts = try await store.outboxCounts()
                for channel in DeliveryChannel.allCases.sorted() {
                    let states = OutboxState.all.map { "\($0.rawValue) \(counts[channel]?[$0] ?? 0)" }.joined(separator: ", ")
                    print("\(channel.rawValue): \(states)")
                }
                print("")
                guard !found.isEmpty else {
                    print("no leads match")
                    return
                }
                for (lead, deliveries) in found {
                    // Names, sources and errors come from customers and other systems: their
                    // control characters (an ESC sequence, a line break) are shown, not sent.
                    let product = lead.product?.name ?? Lead.generalRequest
                    print(
                        PrintableText.escape(
                            "#\(lead.number)  \(MoscowTime.format(lead.createdAt))  \(lead.source)  \(lead.order.name)  \(product)"))
                    for delivery in deliveries {
                        var line = "    \(delivery.channel.rawValue): \(delivery.state.rawValue), attempts \(delivery.attempts)"
                        if delivery.state == .pending { line += ", next \(MoscowTime.format(delivery.nextAttemptAt))" }
                        if let error = delivery.lastError, delivery.state != .delivered { line += " – \(error.prefix(200))" }
                        print(PrintableText.escape(line))
                    }
                }
            }
        }
    }

    struct Requeue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make every delivery waiting on a channel due now.")

        @Option(help: "email or amocrm.")
        var channel: String

        func validate() throws {
            guard DeliveryChannel(rawValue: channel) != nil else { throw ValidationError("--channel must be email or amocrm, got '\(channel)'") }
        }

        func run() async throws {
            try await withLeadStore { store in
                let count = try await store.requeue(channel: DeliveryChannel(rawValue: channel) ?? .email)
                print("\(count) waiting \(channel) deliveries are due now")
            }
        }
    }

    /// The lead an action is for: its number, checked before anything opens.
    struct LeadNumber: ParsableArguments {
        @Argument(help: "The lead's number.")
        var number: Int

        func validate() throws {
            guard number > 0 else { throw ValidationError("the lead's number is a whole number from 1, got \(number)") }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put a lead's dead (or cancelled) deliveries back in the queue.")

        @OptionGroup var lead: LeadNumber

        func run() async throws {
            try await withLeadStore { store in
                let count = try await store.retryDead(leadNumber: lead.number)
                print(count > 0 ? "lead \(lead.number): \(count) deliveries queued again" : "lead \(lead.number): nothing dead or cancelled to retry")
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give up a lead's dead deliveries (handled by hand).")

        @OptionGroup var lead: LeadNumber

        func run() async throws {
            try await withLeadStore { store in
                let count = try await store.cancelDead(leadNumber: lead.number)
                print(count > 0 ? "lead \(lead.number): \(count) dead deliveries cancelled" : "lead \(lead.number): nothing dead to cancel")
            }
        }
    }
}

/// The configured database's leads, opened for one command and closed after it.
func withLeadStore(_ body: (LeadStore) async throws -> Void) async throws {
    let configuration = try loadConfiguration()
    var logger = Logger(label: "catalog-bff")
    logger.logLevel = .warning
    let database: any Database
    do {
        database = try await openDatabase(configuration.database, logger: logger)
    } catch {
        FileHandle.standardError.write(Data("catalog-bff: cannot open the database: \(error)\n".utf8))
        throw ExitCode.failure
    }
    do {
        try await body(LeadStore(database: database, clock: SystemClock(), logger: logger))
        await database.close()
    } catch {
        await database.close()
        FileHandle.standardError.write(Data("catalog-bff: \(error)\n".utf8))
        throw ExitCode.failure
    }
}
