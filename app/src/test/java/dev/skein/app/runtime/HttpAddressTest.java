package dev.skein.app.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class HttpAddressTest {

    @Test
    void aChosenPortStaysBoundUntilClosed() throws Exception {
        int port;
        try (HttpAddress.HeldPort held = HttpAddress.hold("127.0.0.1", 0)) {
            port = held.port();
            assertThat(port).isPositive();
            // Held: the embedded broker, choosing its ports now, cannot be handed this one.
            assertThatThrownBy(() -> new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1")).close())
                    .hasMessageContaining("in use");
        }
        try (ServerSocket ingress = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            assertThat(ingress.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void aConfiguredPortThatIsTakenFailsTheStartAtOnceSayingWhatToSet() throws Exception {
        try (ServerSocket other = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            assertThatThrownBy(() -> HttpAddress.hold("127.0.0.1", other.getLocalPort()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("ingress cannot listen on 127.0.0.1:" + other.getLocalPort())
                    .hasMessageContaining("skein.http.port");
        }
    }
}
