"""Microsoft Graph adapters (msgraph-sdk, app-only): calendar, free/busy, Viva Learning, Teams."""
