import Basics
import Catalog
import Hummingbird

/// `/admin/health`: the doctor's checks of every configured service, in Russian, for admins.
/// Checks ask Directus, amoCRM and the mail server, so one answer serves for a minute
/// (`?fresh=1` asks again at once).
struct HealthAdminController: Sendable {
    let doctor: Doctor
    /// The running service's database and amoCRM connection, which the checks use as they are.
    let running: Doctor.Running
    let catalog: Catalog
    let site: SitePages
    let guardian: AdminGuard
    let forms: AdminForms
    let clock: any WallClock
    let memo: Memo<Checked>

    struct Checked: Sendable {
        var diagnoses: [Diagnosis]
        var at: String
    }

    /// A run asked for by the button is not repeated sooner than this.
    static let shortestRerun: Duration = .seconds(15)

    init(doctor: Doctor, running: Doctor.Running, catalog: Catalog, site: SitePages, guardian: AdminGuard, forms: AdminForms, clock: any WallClock) {
        self.forms = forms
        self.doctor = doctor
        self.running = running
        self.catalog = catalog
        self.site = site
        self.guardian = guardian
        memo = Memo(for: .seconds(60), clock: clock)
        self.clock = clock
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        let admin = router.group().add(middleware: guardian)
        admin.get(SiteURL.Route.adminHealth.pattern, use: page)
        // Running the checks again is a POST with the admin's form token: a GET would let any
        // page the admin opens make the server call Directus, amoCRM and the mail server.
        admin.post(SiteURL.Route.adminHealth.pattern, use: rerun)
    }

    struct Row {
        var check: String
        var level: String
        var levelClass: String
        var found: String
        var fix: String?
    }

    struct Model {
        var layout: LayoutModel
        var rows: [Row]
        var checkedAt: String
        var failures: Int
        /// nil when there are none (Mustache shows a section for 0).
        var warnings: Int?
        var healthy: Bool
        var actionURL: String
        var csrf: String
    }

    static func label(_ level: Diagnosis.Level) -> (String, String) {
        switch level {
        case .ok: ("в порядке", "state-ok")
        case .warning: ("внимание", "state-warning")
        case .failure: ("сбой", "state-failure")
        }
    }

    var make: @Sendable () async -> Checked {
        let (doctor, running, clock) = (doctor, running, clock)
        return { Checked(diagnoses: await doctor.examine(running: running), at: MoscowTime.format(clock.now())) }
    }

    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        let checked = await memo.value(make)
        let rows = checked.diagnoses.map { diagnosis in
            let (label, levelClass) = Self.label(diagnosis.level)
            return Row(check: diagnosis.check, level: label, levelClass: levelClass, found: diagnosis.found, fix: diagnosis.fix)
        }
        let warnings = checked.diagnoses.filter { $0.level == .warning }.count
        let model = Model(
            layout: site.layout.layout(catalog.lastIndex, title: "Проверка настроек", description: "Проверка сервисов", canonicalPath: nil, noindex: true),
            rows: rows, checkedAt: checked.at, failures: checked.diagnoses.filter { $0.level == .failure }.count,
            warnings: warnings > 0 ? warnings : nil, healthy: Doctor.healthy(checked.diagnoses),
            actionURL: SiteURL.Route.adminHealth.rawValue, csrf: forms.token(request))
        return site.pages.uncached(try site.renderer.render("admin-health", model))
    }

    @Sendable func rerun(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard try await forms.isValidPost(request, context: context) else { throw HTTPError(.forbidden) }
        _ = await memo.value(olderThan: Self.shortestRerun, make)
        return Response(status: .seeOther, headers: [.location: SiteURL.Route.adminHealth.rawValue])
    }
}
