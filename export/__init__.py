"""Export of trained networks to FINN: custom HW ops and graph transformations."""
import warnings

# brevitas.export imports brevitas.graph.equalize, which warns on stderr at import that an
# optional Hadamard kernel (not used by this flow) is missing; a command's stderr is kept
# for its own messages (one `error:` line on bad input).
warnings.filterwarnings("ignore", message="fast_hadamard_transform package not found")
