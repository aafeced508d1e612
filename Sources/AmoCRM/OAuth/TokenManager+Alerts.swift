import Alerts

extension TokenManager: CRMConnectionSignal {
    public func connectionProblem() async -> String? { await problem() }
    public func refreshFailureStreak() async -> (count: Int, reason: String?)? { failedRefreshes }
}
