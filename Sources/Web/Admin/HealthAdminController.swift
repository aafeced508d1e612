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
    let clock: any WallClock
    let memo: Memo<Checked>

    struct Checked: Sendable {
        var diagnoses: [Diagnosis]
        var at: String
    }

    init(doctor: Doctor, running: Doctor.Running, catalog: Catalog, site: SitePages, guardian: AdminGuard, clock: any WallClock) {
        self.doctor = doctor
        self.running = running
        self.catalog = catalog
        self.site = site
        self.guardian = guardian
        memo = Memo(for: .seconds(60), clock: clock)
        self.clock = clock
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.group().add(middleware: guardian).get(SiteURL.Route.adminHealth.pattern, use: page)
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
        var warnings: Int
        var healthy: Bool
        var freshURL: String
    }

    static func label(_ level: Diagnosis.Level) -> (String, String) {
        switch level {
        case .ok: ("в порядке", "state-ok")
        case .warning: ("внимание", "state-warning")
        case .failure: ("сбой", "state-failure")
        }
    }

    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (doctor, running, clock) = (doctor, running, clock)
        let make: @Sendable () async -> Checked = {
            Checked(diagnoses: await doctor.examine(running: running), at: MoscowTime.format(clock.now()))
        }
        let checked = request.uri.queryParameters.get("fresh") == "1" ? await memo.refresh(make) : await memo.value(make)
        let rows = checked.diagnoses.map { diagnosis in
            let (label, levelClass) = Self.label(diagnosis.level)
            return Row(check: diagnosis.check, level: label, levelClass: levelClass, found: diagnosis.found, fix: diagnosis.fix)
        }
        let model = Model(
            layout: site.layout.layout(catalog.lastIndex, title: "Проверка настроек", description: "Проверка сервисов", canonicalPath: nil, noindex: true),
            rows: rows, checkedAt: checked.at, failures: checked.diagnoses.filter { $0.level == .failure }.count,
            warnings: checked.diagnoses.filter { $0.level == .warning }.count, healthy: Doctor.healthy(checked.diagnoses),
            freshURL: SiteURL.Route.adminHealth.rawValue + "?fresh=1")
        return site.pages.uncached(try site.renderer.render("admin-health", model))
    }
}
