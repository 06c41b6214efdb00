import KeywayDatabase
import Testing

@Suite("lint FN101 function_search_path_mutable, on a real PostgreSQL")
struct FunctionSearchPathMutableTests {
    let rule = FunctionSearchPathMutable()

    @Test("code, name and level are stable")
    func identity() {
        #expect(FunctionSearchPathMutable.code == "FN101")
        #expect(FunctionSearchPathMutable.name == "function_search_path_mutable")
        #expect(FunctionSearchPathMutable.level == .warning)
    }

    @Test("functions and procedures of an exposed schema without a fixed search_path are warnings, overloads each")
    func fails() async throws {
        let lint = try await LintCase("""
            create function public.owner() returns text language sql stable as $$ select current_setting('request.jwt.claims', true) $$;
            create function public.owner(fallback text) returns text language sql stable as $$ select coalesce(current_setting('request.jwt.claims', true), fallback) $$;
            create procedure public.touch() language sql as $$ select 1 $$;
            create function public.fixed() returns int language sql set search_path = '' as $$ select 1 $$;
            """)
        let message = "the function has no fixed search_path; add `set search_path = ''` and qualify the names it uses"
        #expect(lint.findings(of: rule) == [
            LintFinding(FunctionSearchPathMutable.self, object: "public.owner", message: message),
            LintFinding(FunctionSearchPathMutable.self, object: "public.owner", message: message),
            LintFinding(FunctionSearchPathMutable.self, object: "public.touch", message: message),
        ])
    }

    @Test("a fixed search_path, an extension's functions, another schema's: no finding")
    func passes() async throws {
        let lint = try await LintCase("""
            create function public.owner() returns text language sql stable set search_path = '' as $$ select current_setting('request.jwt.claims', true) $$;
            create procedure public.touch() language sql set search_path = pg_catalog as $$ select 1 $$;
            create extension pgcrypto schema public;
            create schema private;
            create function private.helper() returns int language sql as $$ select 1 $$;
            """)
        #expect(lint.snapshot.functions.contains { $0.fromExtension }, "pgcrypto's functions are in the snapshot")
        #expect(lint.findings(of: rule) == [])
    }
}
