import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Turns every error into a page in the site's design (HTML routes) or a problem+json
/// body (`/api/`, `/ingest/`, `/webhook/`): never a stack trace, never an internal message.
struct ErrorPageMiddleware<Context: RequestContext>: RouterMiddleware {
    let messages: MessagePages
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as ProblemDetails {
            return problem.response()
        } catch {
            let status: HTTPResponse.Status
            switch error {
            case let error as any HTTPResponseError:
                status = error.status
            case is CatalogError:
                // Directus failed and nothing was cached to fall back on.
                status = .serviceUnavailable
                logger.error("catalog unavailable", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            default:
                status = .internalServerError
                logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            }
            if SiteURL.isMachinePath(request.uri.path) {
                return ProblemDetails(status, detail: Self.message(status)).response()
            }
            return errorPage(status, request: request)
        }
    }

    static func heading(_ status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "Страница не найдена"
        case .serviceUnavailable: "Каталог временно недоступен"
        case .badRequest: "Некорректный запрос"
        case .methodNotAllowed: "Метод не поддерживается"
        case .contentTooLarge: "Слишком большой запрос"
        case .unsupportedMediaType: "Неподдерживаемый формат"
        default: "Что-то пошло не так"
        }
    }

    static func message(_ status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "Такой страницы нет. Возможно, товар снят с продажи или ссылка устарела."
        case .serviceUnavailable: "Мы не можем загрузить каталог прямо сейчас. Попробуйте обновить страницу через минуту."
        case .badRequest: "Запрос содержит ошибку. Проверьте адрес страницы."
        case .methodNotAllowed: "Этот адрес не принимает такой запрос."
        case .contentTooLarge: "Запрос больше 64 КБ. Сократите комментарий и отправьте заявку ещё раз."
        case .unsupportedMediaType: "Тело запроса в неподдерживаемом формате."
        default: "Произошла ошибка на сервере. Мы уже знаем о ней; попробуйте ещё раз позже."
        }
    }

    func errorPage(_ status: HTTPResponse.Status, request: Request) -> Response {
        // An editor's preview shows its errors inside Directus' iframe, too.
        let headers = request.uri.path.hasPrefix(SiteURL.previewPrefix) ? messages.headers.preview : [:]
        return messages.page(status, heading: Self.heading(status), message: Self.message(status), headers: headers)
    }
}
