// Hand-written: keyway never generates, changes or removes this file.
// Gmail's messages.send takes an RFC 822 message, base64url-encoded, as {"raw": "..."}:
// a request keyway cannot derive from the inputs, so the manifest says `request: custom`.

import Foundation
import KeywayRuntime

extension Gmail.SendEmail {
    public static func makeRequest(_ input: Input) throws(ToolFailure) -> ToolRequest {
        // `to` passed validate(): one address, no spaces or line breaks, so it cannot add headers.
        let message = [
            "To: \(input.to)",
            "Subject: \(encodedWord(input.subject))",
            "MIME-Version: 1.0",
            "Content-Type: text/html; charset=UTF-8",
            "Content-Transfer-Encoding: base64",
            "",
            Data(input.body.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed]),
        ].joined(separator: "\r\n")
        let raw = Data(message.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return ToolRequest(method: method, path: endpoint, headers: [("Content-Type", "application/json")],
                           body: JSONValue.object(["raw": .string(raw)]).jsonData)
    }

    /// RFC 2047 encoded-word: any subject (non-ASCII, line breaks) stays one header line.
    static func encodedWord(_ text: String) -> String {
        "=?UTF-8?B?\(Data(text.utf8).base64EncodedString())?="
    }
}
