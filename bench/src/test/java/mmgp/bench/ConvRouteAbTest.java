package mmgp.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConvRouteAbTest {
    @AfterEach
    void clear() {
        for (String p : new String[] {"mmgp.conv", "mmgp.winograd.tile", "mmgp.winograd.type", "mmgp.winograd.fused", "mmgp.winograd.block", "mmgp.norm", "mmgp.chnorm"}) {
            System.clearProperty(p);
        }
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

    @Test
    void theFusedPartSetsTheFusedSwitchAndTheBlock() {
        ConvRouteAb.select("winograd:4:f32:fused:30");
        assertThat(System.getProperty("mmgp.winograd.fused")).isEqualTo("on");
        assertThat(System.getProperty("mmgp.winograd.block")).isEqualTo("30");
        ConvRouteAb.select("winograd:4:f32:unfused");
        assertThat(System.getProperty("mmgp.winograd.fused")).isEqualTo("off");
        assertThat(System.getProperty("mmgp.winograd.block")).isNull();
        ConvRouteAb.select("winograd:4");
        assertThat(System.getProperty("mmgp.winograd.fused")).isNull();
        assertThatThrownBy(() -> ConvRouteAb.select("winograd:4:f32:fusd")).hasMessageContaining("'fusd' is not fused or unfused");
    }

    @Test
    void theNormPartSetsTheGroupNormRoute() {
        ConvRouteAb.select("winograd:4:f32+norm=ggml");
        assertThat(System.getProperty("mmgp.norm")).isEqualTo("ggml");
        assertThat(System.getProperty("mmgp.winograd.type")).isEqualTo("f32");
        ConvRouteAb.select("winograd:4:f32:fused+norm=fused");
        assertThat(System.getProperty("mmgp.norm")).isEqualTo("fused");
        assertThat(System.getProperty("mmgp.winograd.fused")).isEqualTo("on");
        ConvRouteAb.select("winograd:4");
        assertThat(System.getProperty("mmgp.norm")).isNull();
        assertThatThrownBy(() -> ConvRouteAb.select("winograd+norm=fuse")).hasMessageContaining("'fuse' is not fused or ggml");
    }

    @Test
    void theChnormPartSetsTheChannelNormRouteBesideTheGroupNorms() {
        ConvRouteAb.select("winograd:4:f32:fused+chnorm=ggml");
        assertThat(System.getProperty("mmgp.chnorm")).isEqualTo("ggml");
        assertThat(System.getProperty("mmgp.norm")).isNull();
        assertThat(System.getProperty("mmgp.winograd.fused")).isEqualTo("on");
        ConvRouteAb.select("winograd:4:f32+norm=ggml+chnorm=fused");
        assertThat(System.getProperty("mmgp.norm")).isEqualTo("ggml");
        assertThat(System.getProperty("mmgp.chnorm")).isEqualTo("fused");
        ConvRouteAb.select("winograd:4");
        assertThat(System.getProperty("mmgp.chnorm")).isNull();
        assertThatThrownBy(() -> ConvRouteAb.select("winograd+chnorm=ggm")).hasMessageContaining("'ggm' is not fused or ggml");
        assertThatThrownBy(() -> ConvRouteAb.select("winograd+chnrm=ggml")).hasMessageContaining("'+chnrm=ggml' is not +norm=... or +chnorm=...");
    }
}
