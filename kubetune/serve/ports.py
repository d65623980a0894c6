"""The services' names and Katib's ports for them (no imports: the CLI reads these at start-up)."""

SUGGESTION, EARLY_STOPPING = "suggestion", "early-stopping"
# Katib's consts.DefaultSuggestionPort and DefaultEarlyStoppingPort (pkg/controller.v1beta1/consts)
DEFAULT_PORTS = {SUGGESTION: 6789, EARLY_STOPPING: 6788}
# The gRPC health service names; Katib probes the suggestion container with the first (composer.go)
HEALTH_NAMES = {SUGGESTION: "manager.v1beta1.Suggestion", EARLY_STOPPING: "manager.v1beta1.EarlyStopping"}
