package mmgp.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConvRouteAbTest {
    @AfterEach
    void clear() {
        for (String p : new String[] {"mmgp.conv", "mmgp.winograd.tile", "mmgp.winograd.type"}) System.clearProperty(p);
    }

    @Test
    void aBareRouteTakesTheDefaultsNotThePreviousRoutesTileAndType() {
        ConvRouteAb.select("winograd:2:f16");
        assertThat(System.getProperty("mmgp.winograd.tile")).isEqualTo("2");
        assertThat(System.getProperty("mmgp.winograd.type")).isEqualTo("f16");
        ConvRouteAb.select("winograd");
        assertThat(System.getProperty("mmgp.conv")).isEqualTo("winograd");
        assertThat(System.getProperty("mmgp.winograd.tile")).isNull();
        assertThat(System.getProperty("mmgp.winograd.type")).isNull();
        ConvRouteAb.select("winograd:2");
        assertThat(System.getProperty("mmgp.winograd.type")).isNull();
        ConvRouteAb.select("im2col");
        assertThat(System.getProperty("mmgp.conv")).isEqualTo("im2col");
    }
}
