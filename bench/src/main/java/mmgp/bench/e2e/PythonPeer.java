package mmgp.bench.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The diffusers/PyTorch peer of aMUSEd and LTX-Video. It needs a Python with torch and diffusers;
 * this class finds out whether one is on the PATH and says why the comparison is skipped otherwise.
 */
public final class PythonPeer {
    static final String NO_PYTHON = "skipped: no Python with torch/diffusers";

    private PythonPeer() {}

    /** "torch X, diffusers Y" of the python3 on the PATH, or null when it cannot import both. */
    static String detect() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import torch, diffusers; print('torch', torch.__version__ + ', diffusers', diffusers.__version__)")
                    .redirectErrorStream(true).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.exitValue() == 0 && out.startsWith("torch") ? out : null;
        } catch (IOException e) {
            return null; // no python3 at all
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** One line per diffusers model: why it was skipped, or the versions found and what is left to run by hand. */
    static List<String> status(String versions) {
        if (versions == null) return List.of("aMUSEd: " + NO_PYTHON, "LTX-Video: " + NO_PYTHON);
        String note = versions + " found, but this harness does not yet drive the diffusers pipelines; the published peer figures are shown instead";
        return List.of("aMUSEd: " + note, "LTX-Video: " + note);
    }
}
