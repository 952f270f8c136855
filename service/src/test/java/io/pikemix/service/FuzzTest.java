package io.pikemix.service;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.mixer.MixConfig;
import io.pikemix.service.client.MixerClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded fuzz of a real server on a loopback port: 10,000 random and malformed requests written on raw sockets
 * (methods, paths, query strings, headers, Content-Length lies, chunked bodies, mutated and random JSON, oversized
 * bodies, a few slow ones). Each answer must come within 5 s and never be a 5xx (except Jetty's 505 to an unsupported
 * HTTP version in the request line, e.g. {@code HTTQ/1.1}, which no handler sees); a request that is refused (not 2xx)
 * must leave the event log byte-for-byte unchanged; afterwards the server is healthy, accepts the valid report that
 * closes the open step, and a restart replays the log to the same weights. The seed is fixed, so a failure is
 * reproducible; it prints the request.
 */
class FuzzTest {
    static final int REQUESTS = 10_000;

    @TempDir
    Path dir;

    static final String[] METHODS = {
        "GET",
        "GET",
        "GET",
        "POST",
        "POST",
        "PUT",
        "PUT",
        "DELETE",
        "PATCH",
        "HEAD",
        "OPTIONS",
        "TRACE",
        "get",
        "FOO",
        "G E T",
        "",
        "POST\0",
        "X".repeat(300)
    };
    static final String[] PATHS = {
        "/v1/manifest",
        "/v1/batch",
        "/v1/stats",
        "/v1/weights",
        "/v1/weights/history",
        "/healthz",
        "/metrics",
        "/openapi.json",
        "/",
        "/v1",
        "/v1/",
        "/v1/manifest/",
        "//v1//manifest",
        "/v1/../v1/weights",
        "/v1/%2e%2e/stats",
        "/v1/manifest%00",
        "/%ff%fe",
        "/v1/st\u00e4ts",
        "*",
        "http://evil/v1/weights",
        "/v1/" + "a".repeat(9000),
        "/v1/weights;jsessionid=1"
    };
    static final String[] NUMBERS = {
        "0",
        "1",
        "-1",
        "2",
        "7",
        "4095",
        "4097",
        "99999",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "1e3",
        "0x10",
        "",
        " 1",
        "1.5",
        "NaN",
        "%31",
        "\u0661",
        "1,2",
        "１"
    };
    static final String STATS =
            "{\"step\":0,\"worker\":1,\"workers\":2,\"micro_batches\":[2,2,2],\"sequences\":[8,8,8],"
                    + "\"grad_norm_sq\":[0.5,0.4,0.3],\"mean_grad_norm_sq\":[0.9,0.8,0.7],\"grad_var\":[3,2,1],\"loss\":[3.1,2.5,4.2]}";
    static final String[] JSON_BITS = {
        "NaN",
        "Infinity",
        "-Infinity",
        "1e400",
        "-1e400",
        "1e-400",
        "-0",
        "null",
        "true",
        "\"x\"",
        "[]",
        "{}",
        "[[1]]",
        "-5",
        "0",
        "18446744073709551616",
        "1.7976931348623157e308",
        "\"\\u0000\"",
        "\"\\ud800\""
    };

    @Test
    void tenThousandRandomAndMalformedRequests_neverA5xx_neverAStateChangeWhenRefused_serverHealthyAfter()
            throws Exception {
        MixConfig mix = Fixtures.mix(1);
        Path state = dir.resolve("s");
        Path token = Fixtures.tokenFile(dir);
        Path log = state.resolve(EventLog.FILE);
        var statuses = new TreeMap<Integer, Integer>();
        String weightsBefore;
        try (var server = MixerServer.start(Fixtures.service(mix, Fixtures.pike(mix), 2, state, token))) {
            var c = new MixerClient(
                    URI.create(server.url()), Fixtures.TOKEN, Duration.ofSeconds(2), Duration.ofSeconds(1));
            c.manifest(0, 0, 2);
            c.report(0, 0, 2, Fixtures.randomStats(new SplittableRandom(1))); // step 0: worker 0 of 2 in, worker 1 open
            var rnd = new SplittableRandom(20261127);
            int port = server.port();
            for (int i = 0; i < REQUESTS; i++) {
                byte[] request = request(rnd);
                boolean slow = rnd.nextInt(1000) == 0;
                long sizeBefore = Files.size(log);
                String before = sizeBefore < 1 << 20 ? Files.readString(log) : null;
                int status = send(port, request, slow);
                statuses.merge(status, 1, Integer::sum);
                String shown = "request " + i + ": " + printable(request);
                String requestLine = new String(
                                request, 0, Math.min(request.length, 20_000), StandardCharsets.ISO_8859_1)
                        .split("\r\n", 2)[0];
                boolean badVersion = !requestLine.endsWith(" HTTP/1.1") && !requestLine.endsWith(" HTTP/1.0");
                // 505 is Jetty's answer (RFC 9110) to a request line with an unsupported HTTP version, before any
                // handler
                assertTrue(status < 500 || status == 505 && badVersion, "a 5xx (" + status + ") for " + shown);
                if (status < 200 || status >= 300)
                    assertEquals(
                            before,
                            Files.readString(log),
                            "refused (" + status + ") but the event log changed: " + shown);
            }
            // healthy after: liveness, the open step still takes its valid report, and the next manifest is served
            assertEquals(
                    200,
                    Fixtures.request(server.url() + "/healthz", "GET", null, null)
                            .status());
            var accepted = Fixtures.request(server.url() + "/v1/stats", "POST", STATS, Fixtures.TOKEN);
            assertTrue(
                    accepted.status() == 200
                            || accepted.body().contains("\"closed\"")
                            || accepted.body().contains("\"duplicate\""),
                    "the open step's report: " + accepted.status() + " " + accepted.body());
            assertEquals(
                    200,
                    Fixtures.request(server.url() + "/v1/manifest?step=1&wait_ms=2000", "GET", null, null)
                            .status());
            weightsBefore = Fixtures.request(server.url() + "/v1/weights", "GET", null, null)
                    .body();
        }
        try (var server = MixerServer.start(Fixtures.service(mix, Fixtures.pike(mix), 2, state, token))) {
            assertEquals(
                    weightsBefore,
                    Fixtures.request(server.url() + "/v1/weights", "GET", null, null)
                            .body(),
                    "the log replays to the same state");
        }
        System.out.println("FuzzTest: " + REQUESTS + " requests, statuses " + statuses);
        int answered = statuses.entrySet().stream()
                .filter(e -> e.getKey() >= 200)
                .mapToInt(e -> e.getValue())
                .sum();
        assertTrue(answered > REQUESTS / 2, "most requests get an HTTP answer: " + statuses);
    }

    /** One random request, mostly close to a valid one so that it reaches the handlers. */
    static byte[] request(SplittableRandom rnd) {
        String method = pick(rnd, METHODS);
        String path = pick(rnd, PATHS);
        if (rnd.nextInt(10) < 7) path += query(rnd);
        var headers = new ArrayList<String>();
        headers.add("Host: 127.0.0.1");
        switch (rnd.nextInt(8)) {
            case 0 -> headers.add("Authorization: Bearer " + Fixtures.TOKEN);
            case 1 ->
                headers.add(
                        "Authorization: Bearer " + Fixtures.TOKEN.substring(0, rnd.nextInt(Fixtures.TOKEN.length())));
            case 2 -> headers.add("Authorization: Basic dXNlcjpwYXNz");
            case 3 -> headers.add("Authorization: Bearer " + "A".repeat(rnd.nextInt(20_000)));
            case 4 -> headers.add("Authorization: bearer " + Fixtures.TOKEN);
            case 5 -> headers.add("Authorization:");
            default -> {}
        }
        if (rnd.nextBoolean())
            headers.add("Content-Type: "
                    + pick(rnd, new String[] {
                        "application/json",
                        "text/plain",
                        "application/json; charset=utf-16",
                        "multipart/form-data; boundary=x",
                        "application/x-www-form-urlencoded",
                        ";;;",
                        "\u00ff"
                    }));
        if (rnd.nextInt(4) == 0)
            headers.add("Accept: "
                    + pick(rnd, new String[] {"application/json", "*/*", "application/vnd.pikemix.batch", "\t"}));
        if (rnd.nextInt(20) == 0) headers.add("X-Junk-" + rnd.nextInt(1000) + ": " + "j".repeat(rnd.nextInt(40_000)));
        if (rnd.nextInt(30) == 0) headers.add("no colon here");
        if (rnd.nextInt(30) == 0) headers.add(" folded: header");
        byte[] body = body(rnd);
        boolean chunked = rnd.nextInt(12) == 0;
        if (chunked) {
            headers.add("Transfer-Encoding: chunked");
            body = chunk(rnd, body);
        } else if (body.length > 0 || rnd.nextBoolean()) {
            switch (rnd.nextInt(12)) {
                case 0 ->
                    headers.add(
                            "Content-Length: " + Math.max(0, body.length - 1 - rnd.nextInt(Math.max(1, body.length))));
                case 1 -> headers.add("Content-Length: -1");
                case 2 -> headers.add("Content-Length: abc");
                case 3 -> {
                    headers.add("Content-Length: " + body.length);
                    headers.add("Content-Length: " + (body.length + 1));
                }
                case 4 -> headers.add("Content-Length: 99999999999999999999");
                case 5 -> {} // no length: the body is read until the connection closes
                default -> headers.add("Content-Length: " + body.length);
            }
        }
        headers.add("Connection: close");
        String version = rnd.nextInt(40) == 0
                ? pick(rnd, new String[] {"HTTP/1.0", "HTTP/2.0", "HTTP/9", "HTTQ/1.1", ""})
                : "HTTP/1.1";
        var out = new ByteArrayOutputStream();
        out.writeBytes((method + " " + path + " " + version + "\r\n").getBytes(StandardCharsets.UTF_8));
        for (String h : headers) out.writeBytes((h + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(body);
        return out.toByteArray();
    }

    static String query(SplittableRandom rnd) {
        var parts = new ArrayList<String>();
        for (String name : new String[] {"step", "worker", "workers", "format", "wait_ms"}) {
            if (rnd.nextInt(3) == 0) continue;
            String v = switch (name) {
                case "format" -> pick(rnd, new String[] {"json", "binary", "xml", "", "JSON"});
                case "wait_ms" ->
                    pick(rnd, new String[] {"0", "5", "-1", "60001", "abc", "99999999999"}); // never a long poll
                case "workers" -> pick(rnd, new String[] {"1", "2", "3", "0", "65536", "65537", "-2", "x"});
                default -> pick(rnd, NUMBERS);
            };
            parts.add(name + "=" + v);
        }
        if (rnd.nextInt(10) == 0)
            parts.add(pick(rnd, new String[] {"step=1&step=2", "=", "&&", "a=%zz", "step", "%00=1"}));
        return parts.isEmpty() ? (rnd.nextBoolean() ? "?" : "") : "?" + String.join("&", parts);
    }

    static byte[] body(SplittableRandom rnd) {
        String s = switch (rnd.nextInt(12)) {
            case 0 -> "";
            case 1 -> STATS;
            case 2, 3 -> mutateJson(rnd, STATS);
            case 4 -> mutateJson(rnd, "{\"from_step\":" + pick(rnd, NUMBERS) + ",\"weights\":[1,2,3]}");
            case 5 -> "{\"from_step\":" + pick(rnd, NUMBERS) + ",\"release\":" + pick(rnd, JSON_BITS) + "}";
            case 6 -> "[".repeat(1 + rnd.nextInt(5000)) + "]".repeat(rnd.nextInt(5000));
            case 7 -> "{\"a\":".repeat(1 + rnd.nextInt(3000)) + "1" + "}".repeat(rnd.nextInt(3000));
            case 8 ->
                STATS.replace("\"step\"", " ".repeat(60_000 + rnd.nextInt(200_000)) + "\"step\""); // over --max-body
            case 9 -> STATS.substring(0, rnd.nextInt(STATS.length()));
            default -> null;
        };
        if (s != null) return s.getBytes(StandardCharsets.UTF_8);
        var b = new byte[rnd.nextInt(rnd.nextBoolean() ? 64 : 10_000)];
        for (int i = 0; i < b.length; i++) b[i] = (byte) rnd.nextInt(256);
        return b;
    }

    static String mutateJson(SplittableRandom rnd, String json) {
        var sb = new StringBuilder(json);
        int edits = 1 + rnd.nextInt(4);
        for (int e = 0; e < edits; e++) {
            int at = rnd.nextInt(sb.length());
            switch (rnd.nextInt(6)) {
                case 0 -> sb.deleteCharAt(at);
                case 1 ->
                    sb.insert(at, pick(rnd, new String[] {
                        ",", "]", "}", "\"", ":", "\\", "\u0000", "\u00e9", "\ud83d\ude00", " "
                    }));
                case 2 -> { // replace a number with an odd value
                    int start = at;
                    while (start < sb.length() && !Character.isDigit(sb.charAt(start))) start++;
                    int end = start;
                    while (end < sb.length() && (Character.isDigit(sb.charAt(end)) || sb.charAt(end) == '.')) end++;
                    if (start < sb.length()) sb.replace(start, end, pick(rnd, JSON_BITS));
                }
                case 3 ->
                    sb.replace(
                            0, sb.length(), sb.toString().replace("\"worker\":1", "\"worker\":" + pick(rnd, NUMBERS)));
                case 4 ->
                    sb.replace(0, sb.length(), sb.toString().replace("\"step\":0", "\"step\":" + pick(rnd, NUMBERS)));
                default ->
                    sb.insert(
                            sb.length() - 1,
                            ",\"" + pick(rnd, new String[] {"step", "extra", "loss", "grad_var", ""}) + "\":"
                                    + pick(rnd, JSON_BITS));
            }
        }
        return sb.toString();
    }

    static byte[] chunk(SplittableRandom rnd, byte[] body) {
        var out = new ByteArrayOutputStream();
        int i = 0;
        while (i < body.length) {
            int n = Math.min(body.length - i, 1 + rnd.nextInt(4096));
            String size = rnd.nextInt(20) == 0
                    ? pick(rnd, new String[] {"zz", "-1", "FFFFFFFFFFFFFFFF", ""})
                    : Integer.toHexString(n);
            out.writeBytes((size + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, i, n);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            i += n;
        }
        if (rnd.nextInt(5) > 0) out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /**
     * Sends the request on a fresh connection, half-closes it and returns the status of the answer (0 when the
     * server closed the connection without one, as Jetty does for some unparsable requests).
     */
    static int send(int port, byte[] request, boolean slow) throws Exception {
        try (var s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            try {
                if (slow) {
                    for (int i = 0; i < request.length; i += 64) {
                        out.write(request, i, Math.min(64, request.length - i));
                        out.flush();
                        Thread.sleep(1);
                    }
                } else out.write(request);
                out.flush();
                s.shutdownOutput();
            } catch (IOException e) {
                // the server may answer (413, 431) and close before it has read everything we send
            }
            InputStream in = s.getInputStream();
            var head = new ByteArrayOutputStream();
            try {
                for (int b; head.size() < 64 && (b = in.read()) >= 0 && b != '\n'; ) head.write(b);
            } catch (SocketTimeoutException e) {
                fail("no answer within 5 s to: " + printable(request));
            } catch (IOException e) {
                return 0; // connection reset without an answer
            }
            String line = head.toString(StandardCharsets.ISO_8859_1);
            if (line.isEmpty()) return 0;
            assertTrue(line.startsWith("HTTP/1."), "not an HTTP answer: '" + line + "' to " + printable(request));
            return Integer.parseInt(line.split(" ")[1]);
        }
    }

    static String printable(byte[] request) {
        String s = new String(request, 0, Math.min(request.length, 600), StandardCharsets.ISO_8859_1);
        return s.replaceAll("[^\\x20-\\x7e\\r\\n]", "?")
                + (request.length > 600 ? "... (" + request.length + " bytes)" : "");
    }

    static String pick(SplittableRandom rnd, String[] options) {
        return options[rnd.nextInt(options.length)];
    }
}
