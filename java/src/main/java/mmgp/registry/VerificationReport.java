package mmgp.registry;

import java.util.List;

/** Result of re-hashing an installed model: one line per file that is missing, resized or altered. */
public record VerificationReport(String model, int filesChecked, long bytesChecked, List<String> problems) {
    public VerificationReport {
        problems = List.copyOf(problems);
    }

    public boolean ok() {
        return problems.isEmpty();
    }

    @Override
    public String toString() {
        return ok() ? model + ": OK (" + filesChecked + " files, " + DiskSpaceException.human(bytesChecked) + ")"
                : model + ": " + problems.size() + " problem(s):\n  " + String.join("\n  ", problems);
    }
}
