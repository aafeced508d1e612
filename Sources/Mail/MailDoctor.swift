import Basics

extension MailSettings {
    /// `doctor`'s checks of mail: the SMTP server takes our login (nothing is sent), and the
    /// sales mailbox is an address. libcurl gives up after `timeout`: the check holds a thread
    /// of the pool mail and SQLite share, and must give it back soon.
    public func diagnose(timeout: Duration) async -> [Diagnosis] {
        var found: [Diagnosis] = []
        let recipients = to.map(\.address).joined(separator: ", ")
        // Each address was checked when the settings were read (`MailSettings.addresses`):
        // what is left to say is whether it is still the default.
        if to.contains(where: \.isLocal) {
            found.append(.warning("mail.to", "заявки уходят на \(recipients): это адрес по умолчанию", fix: "задайте MAIL_TO — ящик отдела продаж"))
        } else {
            found.append(.ok("mail.to", "заявки уходят на \(recipients)"))
        }
        guard let smtp else {
            found.append(.warning("smtp", "SMTP не задан: письма пишутся файлами в \(directory)", fix: "задайте SMTP_HOST, SMTP_USER, SMTP_PASSWORD"))
            return found
        }
        let server = "\(smtp.host):\(smtp.port) (\(smtp.security.rawValue))"
        var quick = smtp
        quick.connectTimeout = min(smtp.connectTimeout, timeout)
        quick.timeout = min(smtp.timeout, timeout)
        switch await SMTPMailTransport(configuration: quick).verify() {
        case .success:
            let login = smtp.user.map { ", вход как \($0)" } ?? ""
            found.append(.ok("smtp", "\(server): соединение, TLS и вход в порядке\(login)"))
        case .failure(let failure):
            found.append(.failure("smtp", "\(server): \(failure.detail)", fix: Self.fix(for: failure, smtp)))
        }
        return found
    }

    /// What to change for a failed check, by libcurl's error code.
    static func fix(for failure: SMTPVerifyFailure, _ smtp: SMTPMailTransport.Configuration) -> String {
        switch failure.code {
        case 67: // CURLE_LOGIN_DENIED
            return "сервер не принял вход: проверьте SMTP_USER и SMTP_PASSWORD (для Яндекса и Mail.ru — пароль приложения)"
        case 60, 35, 58, 77, 83: // certificate, handshake, client cert, CA file, issuer
            return "TLS не прошёл проверку: проверьте SMTP_HOST (имя из сертификата) и SMTP_SECURITY; для своего центра сертификации — SMTP_CA_FILE"
        case 64: // CURLE_USE_SSL_FAILED
            return "сервер не предлагает STARTTLS: SMTP_SECURITY=ssl и SMTP_PORT=465, либо другой сервер"
        case 6: // CURLE_COULDNT_RESOLVE_HOST
            return "имя \(smtp.host) не находится: проверьте SMTP_HOST"
        case 7, 28: // CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT
            return "нет соединения с \(smtp.host):\(smtp.port): проверьте SMTP_HOST, SMTP_PORT (465 для ssl, 587 для starttls) и сетевой доступ"
        default:
            return "проверьте SMTP_HOST, SMTP_PORT, SMTP_SECURITY, SMTP_USER и SMTP_PASSWORD"
        }
    }
}
