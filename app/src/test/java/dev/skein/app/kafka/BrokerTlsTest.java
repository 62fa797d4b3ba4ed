package dev.skein.app.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BrokerTlsTest {

    @TempDir
    Path dir;

    @Test
    void theBrokersCertificateNamesLoopbackAndIsSignedByTheCaClientsTrust() throws Exception {
        BrokerTls tls = BrokerTls.inDirectory(dir);

        X509Certificate ca;
        try (InputStream in = Files.newInputStream(tls.caCertificate())) {
            ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(tls.keystore())) {
            store.load(in, tls.keystorePassword().toCharArray());
        }
        X509Certificate broker = (X509Certificate) store.getCertificate("broker");

        broker.verify(ca.getPublicKey());
        assertThat(ca.getBasicConstraints()).isZero();
        assertThat(broker.getBasicConstraints()).isEqualTo(-1);
        assertThat(broker.getSubjectAlternativeNames()).contains(List.of(7, "127.0.0.1"), List.of(2, "localhost"));
        assertThat(store.getKey("broker", tls.keystorePassword().toCharArray())).isNotNull();
        assertThat(Files.getPosixFilePermissions(tls.keystore()))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void aSecondStartReusesTheMaterialSoClientsKeepTrustingTheBroker() throws Exception {
        BrokerTls first = BrokerTls.inDirectory(dir);
        byte[] ca = Files.readAllBytes(first.caCertificate());

        BrokerTls second = BrokerTls.inDirectory(dir);

        assertThat(Files.readAllBytes(second.caCertificate())).isEqualTo(ca);
        assertThat(second.keystorePassword()).isEqualTo(first.keystorePassword());
    }

    @Test
    void aTornKeystoreIsMadeAgain() throws Exception {
        BrokerTls first = BrokerTls.inDirectory(dir);
        Files.write(first.keystore(), new byte[] {1, 2, 3});

        BrokerTls second = BrokerTls.inDirectory(dir);

        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(second.keystore())) {
            store.load(in, second.keystorePassword().toCharArray());
        }
        assertThat(store.getCertificate("broker")).isNotNull();
    }

    @Test
    void theSecurityOptionRefusesWhatTheBrokerCouldNotServe() {
        assertThatThrownBy(() -> LocalKafkaSecurity.scramOverTls(ScramMechanism.UNKNOWN, "skein", "p"))
                .hasMessageContaining("SCRAM-SHA-256 or SCRAM-SHA-512");
        assertThatThrownBy(() -> LocalKafkaSecurity.scramOverTls(ScramMechanism.SCRAM_SHA_256, "broker", "p"))
                .hasMessageContaining("the broker's own");
        assertThatThrownBy(() -> LocalKafkaSecurity.scramOverTls(ScramMechanism.SCRAM_SHA_256, "skein", ""))
                .hasMessageContaining("needs a password");
        assertThatThrownBy(() -> new LocalKafkaSecurity(ScramMechanism.SCRAM_SHA_256, Map.of("a", "p"), Set.of("b")))
                .hasMessageContaining("super user b");
        assertThat(LocalKafkaSecurity.scramOverTls(ScramMechanism.SCRAM_SHA_512, "skein", "hunter2")
                        .withUser("core", "hunter3")
                        .toString())
                .contains("SCRAM-SHA-512", "skein", "core")
                .doesNotContain("hunter");
    }
}
