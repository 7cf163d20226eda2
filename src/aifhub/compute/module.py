"""What the compute domain plugs in: jobs, cluster logins, delivery, polling, accounting."""

from __future__ import annotations

from aifhub.compute import aif_api, api, cli, tasks, web, web_clusters, web_logins
from aifhub.compute.login_proofs import apply_oidc_claims
from aifhub.compute.metrics import job_gauges
from aifhub.compute.project_section import compute_section
from aifhub.core.i18n import N_
from aifhub.core.modules import DomainModule, NavItem, Periodic

ADMIN = ("admin",)

module = DomainModule(
    name="compute",
    api_routers=(api.router,),
    # The AI Factory Compute API, at the base path its SDK expects (/compute-api/v1).
    root_routers=(aif_api.routes,),
    page_routers=(web.router, web_logins.router, web_clusters.router),
    nav=(
        NavItem(N_("Jobs"), "/jobs", order=40),
        NavItem(N_("Cluster logins"), "/cluster-logins", order=45),
        NavItem(N_("Job network"), "/staff/network", staff_only=True, staff_roles=ADMIN, order=920),
        NavItem(
            N_("Manage cluster logins"),
            "/staff/cluster-logins",
            staff_only=True,
            staff_roles=ADMIN,
            order=920,
        ),
        NavItem(
            N_("Cluster health"), "/staff/clusters", staff_only=True, staff_roles=ADMIN, order=925
        ),
    ),  # fmt: skip
    project_sections=(compute_section,),
    periodic=(
        Periodic("compute.deliver", 1.0, tasks.deliver),
        Periodic("compute.cancel", 2.0, tasks.send_cancels),
        Periodic("compute.poll", 5.0, tasks.poll_states),
        Periodic("compute.accounting", 15.0, tasks.ingest_accounting),
        # Runs at worker start, then every 10 minutes.
        Periodic("compute.cluster_check", 600.0, tasks.check_slurm_clusters),
    ),
    commands=(cli.register,),
    # A federated sign-in's trusted login claim becomes the user's proven cluster login.
    sign_in_hooks=(apply_oidc_claims,),
    # Runs after resources' start-up step (domains start in layer order): the clusters exist.
    startup=(tasks.sync_login_mappings,),
    gauges=(job_gauges,),
)
