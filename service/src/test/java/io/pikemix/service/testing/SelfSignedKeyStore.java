package io.pikemix.service.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A PKCS#12 key store with one self-signed EC certificate for 127.0.0.1 and localhost, made by the JDK's keytool, and
 * a client {@link SSLContext} that trusts it: for the TLS tests of the service ({@code TlsTest}) and of
 * {@code pike mixer serve} ({@code MixerServeTlsTest} in cli, through this module's test jar).
 */
public final class SelfSignedKeyStore {
    private SelfSignedKeyStore() {}

    /** Writes the key store to {@code file} (key and store password {@code password}); returns {@code file}. */
    public static Path create(Path file, String password) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "keytool")
                                .toString(),
                        "-genkeypair",
                        "-alias",
                        "pike",
                        "-keyalg",
                        "EC",
                        "-groupname",
                        "secp256r1",
                        "-validity",
                        "2",
                        "-dname",
                        "CN=localhost",
                        "-ext",
                        "SAN=ip:127.0.0.1,dns:localhost",
                        "-storetype",
                        "PKCS12",
                        "-keystore",
                        file.toString(),
                        "-storepass",
                        password,
                        "-keypass",
                        password))
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int status = p.waitFor();
        if (status != 0) throw new IOException("keytool exited with " + status + ": " + out);
        return file;
    }

    /** A TLS context whose only trusted certificate is the one in {@code keyStore}. */
    public static SSLContext trusting(Path keyStore, String password) throws IOException, GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            trust.load(in, password.toCharArray());
        }
        var tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return ssl;
    }
}
