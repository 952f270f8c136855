package io.pikemix.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.service.testing.SelfSignedKeyStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pike mixer serve --tls-keystore FILE --tls-password-env VAR} (a child JVM) with a self-signed certificate
 * made by the JDK's keytool ({@link SelfSignedKeyStore}, from the service's test jar): it serves HTTPS to a client that trusts the certificate, writes still need the
 * bearer token, and a missing password variable or a wrong password is one error line with status 2.
 */
class MixerServeTlsTest {
    @TempDir
    Path dir;

    static final String PASSWORD = "changeit-654321";
    private static final Pattern URL = Pattern.compile("serving on (https://127\\.0\\.0\\.1:\\d+)");

    @Test
    void serveWithAKeyStore_speaksHttps_andWritesNeedTheToken() throws Exception {
        Path ks = keyStore(dir.resolve("server.p12"));
        Path token = dir.resolve("token");
        Files.writeString(token, "cli-tls-token-0123456789");
        String data = MixerServeFaultTest.dataset(dir).toString();
        try (Child server = Child.start(
                dir.resolve("logs"),
                "serve",
                List.of(),
                Map.of("PIKE_TEST_TLS", PASSWORD),
                "mixer",
                "serve",
                "--dataset",
                data,
                "--state",
                dir.resolve("state").toString(),
                "--port",
                "0",
                "--token-file",
                token.toString(),
                "--tls-keystore",
                ks.toString(),
                "--tls-password-env",
                "PIKE_TEST_TLS")) {
            String[] url = new String[1];
            server.waitUntil("the 'serving on https://' line", 60, () -> {
                try {
                    Matcher m = URL.matcher(server.out());
                    if (m.find()) url[0] = m.group(1);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return url[0] != null;
            });
            HttpClient https = HttpClient.newBuilder().sslContext(trusting(ks)).build();
            var health = https.send(
                    HttpRequest.newBuilder(URI.create(url[0] + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), health.body());
            var manifest = https.send(
                    HttpRequest.newBuilder(URI.create(url[0] + "/v1/manifest?step=0"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, manifest.statusCode(), manifest.body());
            var post = HttpRequest.newBuilder(URI.create(url[0] + "/v1/stats"))
                    .POST(HttpRequest.BodyPublishers.ofString(
                            MixerServeFaultTest.report(0, 0).replace("\"workers\":8", "\"workers\":1")));
            assertEquals(
                    401,
                    https.send(post.build(), HttpResponse.BodyHandlers.ofString())
                            .statusCode());
            var ok = https.send(
                    post.header("Authorization", "Bearer cli-tls-token-0123456789")
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode(), ok.body());
            // the same port without TLS gets no HTTP answer
            int plain;
            try {
                plain = HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(URI.create(url[0].replace("https://", "http://") + "/healthz"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .statusCode();
            } catch (java.io.IOException e) {
                plain = -1;
            }
            assertNotEquals(200, plain, "plain HTTP is not served");
        }
    }

    @Test
    void tlsWithoutItsPasswordVariable_orAWrongPassword_isOneErrorLine() throws Exception {
        Path ks = keyStore(dir.resolve("server.p12"));
        String data = MixerServeFaultTest.dataset(dir).toString(),
                state = dir.resolve("s").toString();
        MainTest.assertOneLineError(
                WeightsCommandTest.run(
                        "mixer",
                        "serve",
                        "--dataset",
                        data,
                        "--state",
                        state,
                        "--port",
                        "0",
                        "--tls-keystore",
                        ks.toString(),
                        "--tls-password-env",
                        "PIKE_TEST_UNSET_VARIABLE_42"),
                "needs its password in the environment variable PIKE_TEST_UNSET_VARIABLE_42, which is not set");
        var e = assertThrows(
                io.pikemix.format.UserException.class, () -> new io.pikemix.service.MixerServer.Tls(ks, "wrong"));
        assertTrue(e.getMessage().startsWith("cannot open the TLS key store " + ks), e.getMessage());
    }

    /** A PKCS#12 key store with one self-signed EC certificate for 127.0.0.1 and localhost. */
    static Path keyStore(Path ks) throws Exception {
        return SelfSignedKeyStore.create(ks, PASSWORD);
    }

    static SSLContext trusting(Path ks) throws Exception {
        return SelfSignedKeyStore.trusting(ks, PASSWORD);
    }
}
