from communication.audit.models import AuditEvent, user_reference
from communication.audit.recording import record_event
from communication.lifecycle import BatchDeleteCommand, actor_for, add_user_arguments, identifier_argument
from communication.models import CommunicationLog


class Command(BatchDeleteCommand):
    help = (
        "Erase every log of one user (GDPR Art. 17), in short batches, and record who did it in the audit trail "
        "without the user's id."
    )

    def add_arguments(self, parser):
        add_user_arguments(parser)
        parser.add_argument("--tenant", type=identifier_argument, help="Erase only the user's logs in this tenant.")
        super().add_arguments(parser)

    def handle(self, *args, user_id, tenant, actor, dry_run, batch_size, **options):
        actor = actor_for(actor)
        logs = CommunicationLog.objects.filter(user_id=user_id)
        if tenant:
            logs = logs.filter(tenant_id=tenant)
        total = logs.count()
        scope = f"user {user_id}" + (f" in tenant {tenant}" if tenant else "")
        if dry_run:
            self.stdout.write(f"Would erase {total} logs of {scope} (dry run).")
            return

        def record(erased):
            filters = {"user_ref": user_reference(user_id)}
            if tenant:
                filters["tenant_id"] = tenant
            record_event(
                actor=actor,
                action=AuditEvent.Action.ERASE,
                filters=filters,
                total=erased,
            )

        erased = self.delete_with_progress(
            logs, total=total, batch_size=batch_size, ordering=("created_at", "pk"), on_stop=record
        )
        record(erased)
        self.stdout.write(f"Erased {erased} logs of {scope}.")
