package mmgp.bindings.ggml;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import org.junit.jupiter.api.Test;

/**
 * The op enums can be the first thing a program touches: initialising {@link Ggml.Unary} before
 * {@link Ggml} must not run into Ggml's static block, which reads the enums' values. A fresh class
 * loader gives both classes their first initialisation, whatever this test JVM already loaded.
 */
class GgmlOpEnumInitTest {
    @Test
    void anOpEnumInitialisesBeforeGgml() throws Exception {
        URL classes = Ggml.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader fresh = new URLClassLoader(new URL[] {classes}, ClassLoader.getPlatformClassLoader())) {
            for (String op : new String[] {"Unary", "Binary", "Norm"}) {
                Class<?> e = Class.forName("mmgp.bindings.ggml.Ggml$" + op, true, fresh);
                Method values = e.getMethod("values");
                assertThat((Object[]) values.invoke(null)).as(op).isNotEmpty();
            }
            Class<?> ggml = Class.forName("mmgp.bindings.ggml.Ggml", true, fresh);
            assertThat(ggml.getClassLoader()).isSameAs(fresh);
        }
    }
}
