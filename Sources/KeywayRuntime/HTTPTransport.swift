import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [(name: String, value: String)]
    public var body: Data?

    public init(method: String, url: URL, headers: [(name: String, value: String)], body: Data?) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// How the runtime sends HTTP requests. `URLSessionTransport` is the default; tests or
/// servers on SwiftNIO can bring their own.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

/// Why `URLSessionTransport` gave up on a response.
public enum HTTPTransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The body (or its announced length) passed the transport's limit: it was not read further.
    case responseTooLarge(limit: Int)

    public var description: String {
        switch self {
        case .responseTooLarge(let limit): "the response is larger than \(limit) bytes; it was not read"
        }
    }
}

/// Foundation's URLSession: on Apple platforms the system stack, on Linux libcurl
/// through FoundationNetworking. Chosen over AsyncHTTPClient because it adds no
/// dependency (and no build time) to the apps that link the runtime.
///
/// It never follows a redirect (a 3xx is the answer: following one would send the secret
/// key and the connection's headers to wherever it points), and reads at most
/// `maximumResponseBytes` of a body.
public struct URLSessionTransport: HTTPTransport {
    let session: URLSession
    let tasks: TaskTable

    /// - Parameters:
    ///   - timeout: the longest a request may take, from sending to the last byte of the answer.
    ///   - maximumResponseBytes: the most of a body read; past it, `HTTPTransportError.responseTooLarge`.
    ///   - maximumConnectionsPerHost: connections open at once to one host (Nango). Many
    ///     tenants share them: keep it well above the calls one tenant may have in flight
    ///     (`MCPLimits.maxConcurrentCallsPerTenant`, 8), so that one tenant's hanging calls
    ///     cannot hold every connection while another's wait (URLSession's default is 6).
    public init(timeout: TimeInterval = 30, maximumResponseBytes: Int = 32 << 20, maximumConnectionsPerHost: Int = 64) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = maximumConnectionsPerHost
        configuration.timeoutIntervalForRequest = timeout
        // The whole request, not only the wait between two bytes (a trickle would go on).
        configuration.timeoutIntervalForResource = timeout
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        tasks = TaskTable(limit: maximumResponseBytes)
        session = URLSession(configuration: configuration, delegate: tasks, delegateQueue: nil)
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        for header in request.headers { urlRequest.addValue(header.value, forHTTPHeaderField: header.name) }
        urlRequest.httpBody = request.body
        let task = session.dataTask(with: urlRequest)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                tasks.start(task, continuation)
            }
        } onCancel: {
            task.cancel()
        }
    }

    /// Each running task's response and body so far, by task identifier.
    final class TaskTable: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        struct Running {
            var continuation: CheckedContinuation<HTTPResponse, any Error>
            var response: HTTPURLResponse?
            var body = Data()
            var tooLarge = false
        }
        let limit: Int
        private let lock = NSLock()
        private var running: [Int: Running] = [:]

        init(limit: Int) { self.limit = limit }

        func start(_ task: URLSessionDataTask, _ continuation: CheckedContinuation<HTTPResponse, any Error>) {
            lock.withLock { running[task.taskIdentifier] = Running(continuation: continuation) }
            task.resume()
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse, completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
            let tooLarge = response.expectedContentLength > Int64(limit)
            lock.withLock {
                running[dataTask.taskIdentifier]?.response = response as? HTTPURLResponse
                if tooLarge { running[dataTask.taskIdentifier]?.tooLarge = true }
            }
            completionHandler(tooLarge ? .cancel : .allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            let cancel: Bool = lock.withLock {
                let id = dataTask.taskIdentifier
                guard let state = running[id], !state.tooLarge else { return false }
                if state.body.count + data.count > limit {
                    running[id]?.tooLarge = true
                    running[id]?.body = Data()
                    return true
                }
                // In place: a copy of the body per chunk would make a large answer quadratic.
                running[id]?.body.append(data)
                return false
            }
            if cancel { dataTask.cancel() }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
            completionHandler(nil)
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
            guard let state = lock.withLock({ running.removeValue(forKey: task.taskIdentifier) }) else { return }
            if state.tooLarge {
                state.continuation.resume(throwing: HTTPTransportError.responseTooLarge(limit: limit))
            } else if let error {
                state.continuation.resume(throwing: error)
            } else if let http = state.response ?? task.response as? HTTPURLResponse {
                var headers: [String: String] = [:]
                for (key, value) in http.allHeaderFields { headers["\(key)"] = "\(value)" }
                state.continuation.resume(returning: HTTPResponse(status: http.statusCode, headers: headers, body: state.body))
            } else {
                state.continuation.resume(throwing: URLError(.badServerResponse))
            }
        }
    }
}
