import Basics
import Mail

extension AlertSettings {
    /// `doctor`'s check of the alert settings: whom incidents reach, by which way, and after how long.
    public func diagnose(mail: MailSettings) -> Diagnosis {
        let recipients = to ?? mail.to
        let whom = recipients.map(\.address).joined(separator: ", ") + (to == nil ? " (MAIL_TO)" : "")
        let seconds = Int(after.components.seconds)
        if mail.smtp == nil {
            return .warning(
                "alerts", "оповещения пишутся файлами в \(mail.directory): их никто не увидит",
                fix: "задайте SMTP_HOST и ALERT_TO — адрес того, кто чинит сайт")
        }
        if recipients.contains(where: \.isLocal) {
            return .warning("alerts", "оповещения уходят на \(whom)", fix: "задайте ALERT_TO — адрес того, кто чинит сайт")
        }
        if after.components.seconds == 0 {
            return .warning("alerts", "оповещение о каждом сбое без ожидания (ALERT_AFTER=0)", fix: "ALERT_AFTER=10m: о коротких сбоях не писать")
        }
        let span = seconds % 60 == 0 ? "\(seconds / 60) мин" : "\(seconds) с"
        return .ok("alerts", "сбой дольше \(span) — письмо на \(whom)")
    }
}
