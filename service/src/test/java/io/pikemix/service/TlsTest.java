package io.pikemix.service;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.mixer.MixConfig;
import io.pikemix.service.testing.SelfSignedKeyStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS with a self-signed certificate ({@link SelfSignedKeyStore}: the JDK's keytool); the bearer token still guards writes. */
class TlsTest {
    @TempDir
    Path dir;

    @Test
    void withAKeyStore_theServiceSpeaksHttpsOnly_andWritesStillNeedTheToken() throws Exception {
        String password = "changeit-123456";
        Path ks = SelfSignedKeyStore.create(dir.resolve("server.p12"), password);
        HttpClient https = HttpClient.newBuilder()
                .sslContext(SelfSignedKeyStore.trusting(ks, password))
                .build();

        MixConfig mix = Fixtures.mix(1);
        try (var server = MixerServer.start(
                Fixtures.service(mix, Fixtures.pike(mix), 1, dir.resolve("s"), Fixtures.tokenFile(dir)),
                new MixerServer.Tls(ks, password))) {
            assertTrue(server.url().startsWith("https://127.0.0.1:"), server.url());
            var health = https.send(
                    HttpRequest.newBuilder(URI.create(server.url() + "/healthz"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), health.body());
            assertEquals(
                    200,
                    https.send(
                                    HttpRequest.newBuilder(URI.create(server.url() + "/v1/manifest?step=0"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode());
            String stats = "{\"step\":0,\"worker\":0,\"workers\":1,\"micro_batches\":[2,2,2],\"sequences\":[8,8,8],"
                    + "\"grad_norm_sq\":[0.5,0.4,0.3],\"mean_grad_norm_sq\":[0.9,0.8,0.7],\"grad_var\":[3,2,1],\"loss\":[3.1,2.5,4.2]}";
            var post = HttpRequest.newBuilder(URI.create(server.url() + "/v1/stats"))
                    .POST(HttpRequest.BodyPublishers.ofString(stats));
            assertEquals(
                    401,
                    https.send(post.build(), HttpResponse.BodyHandlers.ofString())
                            .statusCode(),
                    "no token, no write");
            var ok = https.send(
                    post.header("Authorization", "Bearer " + Fixtures.TOKEN).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode(), ok.body());
            // plain HTTP to the TLS port gets no HTTP answer
            String plain = "http://127.0.0.1:" + server.port() + "/healthz";
            int status;
            try {
                status = Fixtures.HTTP
                        .send(HttpRequest.newBuilder(URI.create(plain)).build(), HttpResponse.BodyHandlers.ofString())
                        .statusCode();
            } catch (java.io.IOException e) {
                status = -1;
            }
            assertNotEquals(200, status, "plain HTTP is not served");
        }
    }

    @Test
    void aMissingKeyStore_isRefusedWithOneLine() {
        var e = assertThrows(
                io.pikemix.format.UserException.class, () -> new MixerServer.Tls(dir.resolve("none.p12"), "x"));
        assertTrue(e.getMessage().contains("not a readable file"), e.getMessage());
    }
}
