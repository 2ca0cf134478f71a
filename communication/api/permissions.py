"""Who may read communication logs."""

from rest_framework.permissions import BasePermission


class CanViewCommunicationLogs(BasePermission):
    """Allows access only to users holding `communication.view_communicationlog` (superusers do)."""

    message = "You need the communication.view_communicationlog permission to read communication logs."

    def has_permission(self, request, view):
        return request.user.has_perm("communication.view_communicationlog")
